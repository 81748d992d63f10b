"""The declared authorisation matrix: for each (endpoint, method), who reaches it.

``allow``: the logged-in roles that reach the route with the world's ids (everyone else
must get 404); ``anonymous``: what a visitor gets ("login": sent to log in, "reach", or
"hidden"). ``args`` overrides where URL arguments come from (tests/support/authz_routes.py).
``vary``: also try other communities', deleted, huge and malformed ids (all 404).
``logged``: denials must appear as ``authz_fail`` security events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OWNER, PEER, STRANGER = "owner", "peer", "stranger"
FACILITATOR, OTHER_FACILITATOR, ADMIN = "facilitator", "other_facilitator", "admin"
EVERYONE = frozenset({OWNER, PEER, STRANGER, FACILITATOR, OTHER_FACILITATOR, ADMIN})


@dataclass(frozen=True)
class Row:
    allow: frozenset[str]
    anonymous: str = "login"
    args: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)  # the form sent with a POST
    api: bool = False  # the JSON API: the role's bearer token instead of a login cookie
    vary: bool = True
    logged: bool = True


MATRIX: dict[tuple[str, str], Row] = {}

MEMBERS = frozenset({OWNER, PEER})  # seated in Ola's circle A
COMMUNITY = frozenset({OWNER, PEER, STRANGER, FACILITATOR})  # belong to community 1
ONLY_OWNER = frozenset({OWNER})
ONLY_FACILITATOR = frozenset({FACILITATOR})
NOBODY: frozenset[str] = frozenset()
PUBLIC = Row(EVERYONE, anonymous="reach", vary=False, logged=False)
OWN = Row(EVERYONE, vary=False)  # a page about the caller themself

MATRIX.update({
    # Public pages, and capability links (whoever holds the link)
    ("home.index", "GET"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.signup", "GET"): PUBLIC,
    ("auth.signup", "POST"): PUBLIC,
    ("auth.claim", "GET"): Row(EVERYONE, anonymous="reach", args={"token": "ids.claim_token"},
                               vary=False, logged=False),
    ("auth.claim", "POST"): Row(EVERYONE, anonymous="reach",
                                args={"token": "ids.claim_token"}, vary=False, logged=False),
    ("communities.join", "GET"): PUBLIC,
    ("sessions.feed", "GET"): PUBLIC,
    ("health.health", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("vendor.asset", "GET"): PUBLIC,
    ("security.csp_report", "POST"): PUBLIC,
    # The caller's own things: every logged-in role has a page of their own
    ("auth.logout", "POST"): OWN,
    ("communities.join_form", "GET"): OWN,
    ("communities.join_form", "POST"): OWN,
    ("communities.join_post", "POST"): OWN,
    ("communities.new", "GET"): OWN,
    ("communities.new", "POST"): OWN,
    ("ending.endings", "GET"): OWN,
    ("goals.growth_journal", "GET"): OWN,
    ("goals.index", "GET"): OWN,
    ("goals.my_commitments", "GET"): OWN,
    ("introductions.index", "GET"): OWN,
    ("introductions.request_introduction", "GET"): OWN,
    ("introductions.request_introduction", "POST"): OWN,
    ("network.show", "GET"): OWN,
    ("network.data", "GET"): OWN,
    ("network.export_graphml", "GET"): OWN,
    ("network.export_json", "GET"): OWN,
    ("network.add_contact", "POST"): OWN,
    ("notifications.index", "GET"): OWN,
    ("notifications.read_all", "POST"): OWN,
    ("notifications.settings", "GET"): OWN,
    ("notifications.settings", "POST"): OWN,
    ("profile.edit", "GET"): OWN,
    ("profile.about", "POST"): OWN,
    ("profile.add_availability", "POST"): OWN,
    ("profile.add_boundary", "POST"): OWN,
    ("profile.add_learning_goal", "POST"): OWN,
    ("profile.add_question", "POST"): OWN,
    ("profile.add_strength", "POST"): OWN,
    ("profile.add_success_criterion", "POST"): OWN,
    ("sessions.calendar_page", "GET"): OWN,
    ("home.my_circles", "GET"): OWN,
    ("sessions.reset_calendar", "POST"): OWN,
    # Development only: absent unless the app runs in debug mode
    ("notifications.outbox", "GET"): Row(NOBODY, anonymous="hidden", vary=False, logged=False),
    # One member's own records, by id: their author alone
    ("goals.share", "POST"): Row(ONLY_OWNER),
    ("goals.update_commitment", "POST"): Row(ONLY_OWNER),
    ("goals.checkin", "POST"): Row(ONLY_OWNER, args={"kind": "criterion",
                                                     "goal_id": "ids.criterion"}),
    ("network.update_contact", "POST"): Row(ONLY_OWNER),
    ("network.remove_contact", "POST"): Row(ONLY_OWNER),
    ("notifications.read", "POST"): Row(ONLY_OWNER),
    ("profile.remove_item", "POST"): Row(ONLY_OWNER),
    # Ola declared she knows Sam well: either of the two may withdraw it
    ("profile.remove_tie", "POST"): Row(frozenset({OWNER, STRANGER})),
    ("pulse.show", "GET"): Row(ONLY_OWNER),
    ("pulse.mine", "GET"): OWN,  # the list of one's own answers
    ("introductions.withdraw", "POST"): Row(ONLY_OWNER),  # Ola asked
    ("introductions.agree", "GET"): Row(frozenset({PEER})),  # Pia is asked to introduce
    ("introductions.agree", "POST"): Row(frozenset({PEER})),
    ("introductions.decline", "POST"): Row(frozenset({PEER})),
    # Sam, the one to be introduced, does not learn of the request before Pia agrees
    ("introductions.accept", "POST"): Row(NOBODY),
    # The introduction's page: the people in it (Sam only once Pia agreed); how to reach each
    # other, and changing it, only for the two once both said yes (not accepted here: nobody)
    ("introductions.show", "GET"): Row(frozenset({OWNER, PEER})),
    ("introductions.contact", "POST"): Row(NOBODY),
    # Members of another member's community see their profile and may declare a tie
    ("profile.member", "GET"): Row(COMMUNITY),
    ("profile.declare_tie", "POST"): Row(COMMUNITY - {PEER}),  # Pia's own page: not to self
    # The circle: its members; the community's facilitator sees the page and may close it
    ("circles.show", "GET"): Row(MEMBERS | ONLY_FACILITATOR),
    ("ending.close", "POST"): Row(MEMBERS | ONLY_FACILITATOR),
    ("ending.closing", "GET"): Row(MEMBERS),
    ("circles.rename", "POST"): Row(MEMBERS, data={"name": "Renamed by a member"}),
    ("ending.leave", "GET"): Row(MEMBERS),
    ("ending.leave", "POST"): Row(MEMBERS),
    ("ending.reflect", "POST"): Row(MEMBERS),
    # Regrouping needs a pair who called it a day (tests/communities/test_ending.py); none here
    ("ending.regroup", "POST"): Row(NOBODY),
    ("ending.rematch", "POST"): Row(COMMUNITY),
    ("circle_settings.phases", "GET"): Row(MEMBERS),
    ("circle_settings.phases", "POST"): Row(MEMBERS),
    ("goals.new_circle_goal", "GET"): Row(MEMBERS),
    ("goals.new_circle_goal", "POST"): Row(MEMBERS),
    ("goals.close_goal", "POST"): Row(MEMBERS),
    ("pulse.check", "GET"): Row(MEMBERS),
    ("pulse.check", "POST"): Row(MEMBERS),
    ("live_room.room", "GET"): Row(MEMBERS),
    ("sessions.new", "GET"): Row(MEMBERS),
    ("sessions.new", "POST"): Row(MEMBERS),
    ("sessions.reschedule", "GET"): Row(MEMBERS),
    ("sessions.reschedule", "POST"): Row(MEMBERS),
    ("sessions.cancel", "POST"): Row(MEMBERS),
    # A clearness committee's write-up: members reach it (the focus person alone saves one)
    ("sessions.writeup", "POST"): Row(MEMBERS, data={"writeup": "What I bring"}),
    ("sessions.session_ics", "GET"): Row(MEMBERS),
    ("meetings.meeting", "GET"): Row(MEMBERS),
    ("meetings.meeting", "POST"): Row(MEMBERS),
    ("sessions.claim", "POST"): Row(MEMBERS),
    ("sessions.release", "POST"): Row(MEMBERS),
    ("sessions.propose_swap", "POST"): Row(MEMBERS),
    ("sessions.accept_swap", "POST"): Row(frozenset({PEER})),  # the one asked to swap
    ("sessions.decline_swap", "POST"): Row(MEMBERS),  # the proposer may withdraw it
    # Running a community: its facilitators
    ("communities.show", "GET"): Row(COMMUNITY),
    ("communities.add_topic", "POST"): Row(ONLY_FACILITATOR),
    ("communities.set_language", "POST"): Row(ONLY_FACILITATOR),
    ("communities.map_typed_topic", "POST"): Row(ONLY_FACILITATOR),
    ("communities.adopt_typed_topic", "POST"): Row(ONLY_FACILITATOR),
    ("communities.new_invite", "POST"): Row(ONLY_FACILITATOR),
    ("communities.set_role", "POST"): Row(ONLY_FACILITATOR, data={"role": "facilitator"}),
    ("circles.new", "GET"): Row(ONLY_FACILITATOR),
    ("circles.new", "POST"): Row(ONLY_FACILITATOR),
    ("circles.add_member", "POST"): Row(ONLY_FACILITATOR, data={"member": "users.stranger"}),
    ("circles.remove_member", "POST"): Row(ONLY_FACILITATOR),
    ("network.community", "GET"): Row(ONLY_FACILITATOR),
    ("onboarding.import_members", "GET"): Row(ONLY_FACILITATOR),
    ("onboarding.import_members", "POST"): Row(ONLY_FACILITATOR),
    ("onboarding.confirm_import", "POST"): Row(ONLY_FACILITATOR),
    ("onboarding.claim_links", "GET"): Row(ONLY_FACILITATOR),
    ("formation.new", "GET"): Row(ONLY_FACILITATOR),
    ("formation.new", "POST"): Row(ONLY_FACILITATOR),
    ("formation.show", "GET"): Row(ONLY_FACILITATOR),
    ("formation.status", "GET"): Row(ONLY_FACILITATOR),
    ("formation.discard", "POST"): Row(ONLY_FACILITATOR),
    ("formation.lock", "POST"): Row(ONLY_FACILITATOR),
    ("formation.unlock", "POST"): Row(ONLY_FACILITATOR),
    ("formation.move", "POST"): Row(ONLY_FACILITATOR),
    ("formation.prepare", "POST"): Row(ONLY_FACILITATOR),
    ("formation.publish", "POST"): Row(ONLY_FACILITATOR),
    ("formation.retry", "POST"): Row(ONLY_FACILITATOR),
    # Safety: blocking someone whose profile one sees (oneself: refused, 409); one's own
    # blocks (Ola blocked Vic); concerns to the safety contacts, read by them alone (Sam is
    # community 1's: its facilitator is not, unless named); the facilitator's settings
    ("safety.block", "POST"): Row(COMMUNITY),
    ("safety.my_blocks", "GET"): OWN,
    ("safety.lift", "POST"): Row(ONLY_OWNER, args={"user_id": "users.vic"}),
    ("safety.report", "GET"): Row(COMMUNITY),
    ("safety.report", "POST"): Row(COMMUNITY, data={"text": "Something worried me"}),
    ("safety.concerns", "GET"): Row(frozenset({STRANGER})),
    ("safety.settings", "GET"): Row(ONLY_FACILITATOR),
    ("safety.settings", "POST"): Row(ONLY_FACILITATOR),
    # Renew or remix: the cycle length (members, or the facilitator); the private choice
    # (members only; refused with 409 before the cycle ends)
    ("renewal.cycle", "POST"): Row(MEMBERS | ONLY_FACILITATOR, data={"cycle_sessions": "6"}),
    ("renewal.choose", "POST"): Row(MEMBERS, data={"choice": "renew"}),
    # Site administration
    ("admin.index", "GET"): Row(frozenset({ADMIN}), vary=False),
    ("admin.accounts", "GET"): Row(frozenset({ADMIN}), vary=False),
    ("admin.set_active", "POST"): Row(frozenset({ADMIN})),
})

API = Row(EVERYONE, api=True, vary=False)  # about the caller themself
MATRIX.update({
    # The member's account: export and erasure of their own data
    ("account.index", "GET"): OWN,
    ("account.export", "GET"): OWN,
    ("account.delete", "GET"): OWN,
    ("account.delete", "POST"): OWN,
    # The account's keys (issue 16): one's own; another member's login id is not found
    ("account_security.password", "GET"): OWN,
    ("account_security.password", "POST"): OWN,
    ("account_security.email", "GET"): OWN,
    ("account_security.email", "POST"): OWN,
    ("account_security.logins_page", "GET"): OWN,
    ("account_security.end_all", "POST"): OWN,
    ("account_security.end_login", "POST"): Row(NOBODY, args={"login_id": "ids.foreign_login"}),
    ("account_security.two_factor_page", "GET"): OWN,
    ("account_security.two_factor_page", "POST"): OWN,
    ("account_security.two_factor_off", "POST"): OWN,
    ("email_links.resend", "POST"): OWN,
    # The second log-in step: without a password just given, back to log in (or home)
    ("auth.second_factor", "GET"): Row(EVERYONE, vary=False, logged=False),
    ("auth.second_factor", "POST"): Row(EVERYONE, vary=False, logged=False),
    # Links sent by e-mail: capabilities for whoever holds them; a forged one is not found
    ("email_links.forgot", "GET"): PUBLIC,
    ("email_links.forgot", "POST"): PUBLIC,
    ("email_links.verify", "GET"): Row(EVERYONE, anonymous="reach",
                                       args={"token": "ids.verify_token"}, vary=False,
                                       logged=False),
    ("email_links.reset", "GET"): Row(EVERYONE, anonymous="reach",
                                      args={"token": "ids.reset_token"}, vary=False, logged=False),
    ("email_links.reset", "POST"): Row(EVERYONE, anonymous="reach",
                                       args={"token": "ids.reset_token"}, vary=False,
                                       logged=False),
    ("email_links.verify", "POST"): Row(EVERYONE, anonymous="reach",
                                        args={"token": "ids.verify_token"}, vary=False,
                                        logged=False),
    ("email_links.confirm_email", "GET"): Row(NOBODY, anonymous="hidden",
                                              args={"token": "ids.bogus_token"}, vary=False,
                                              logged=False),
    ("email_links.confirm_email", "POST"): Row(NOBODY, anonymous="hidden",
                                               args={"token": "ids.bogus_token"}, vary=False,
                                               logged=False),
    # An invitation: the invited member alone (Sam, into community two)
    ("invitations.show", "GET"): Row(frozenset({STRANGER}),
                                     args={"token": "ids.invitation_token"}, vary=False),
    ("invitations.answer", "POST"): Row(frozenset({STRANGER}),
                                        args={"token": "ids.invitation_token",
                                              "choice": "decline"}, vary=False),
    # API tokens: the member's own; another member's token id is not found
    ("api_tokens.index", "GET"): OWN,
    ("api_tokens.index", "POST"): OWN,
    ("api_tokens.revoke", "POST"): Row(ONLY_OWNER),
    # The JSON API, with each role's bearer token; without one: 401 ("login")
    ("api_meta.openapi_json", "GET"): PUBLIC,
    ("api.get_me", "GET"): API,
    ("api.list_communities", "GET"): API,
    ("api.list_circles", "GET"): API,
    ("api.list_commitments", "GET"): API,
    ("api.get_network", "GET"): API,
    ("api.get_community", "GET"): Row(COMMUNITY, api=True),
    ("api.list_members", "GET"): Row(COMMUNITY, api=True),
    ("api.get_circle", "GET"): Row(MEMBERS | ONLY_FACILITATOR, api=True),
    ("api.list_sessions", "GET"): Row(MEMBERS | ONLY_FACILITATOR, api=True),
    ("api.get_session", "GET"): Row(MEMBERS, api=True),
    ("api.update_commitment", "PATCH"): Row(ONLY_OWNER, api=True, data={"status": "kept"}),
})
# Unknown paths under /api: JSON 404 for everyone, whatever the method
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    MATRIX[("api_meta.unknown", _method)] = Row(NOBODY, anonymous="hidden", api=True,
                                                vary=False, logged=False)
