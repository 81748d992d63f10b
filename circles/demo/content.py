"""The invented words the demo community is made of: organisations, people and topics."""

from __future__ import annotations

from typing import NamedTuple


class Organisation(NamedTuple):
    name: str
    timezones: tuple[str, ...]  # the first is the head office; others are remote staff
    departments: dict[str, tuple[str, ...]]  # department -> job titles found there


class TopicText(NamedTuple):
    label: str
    offer: str  # what a member with this strength offers
    questions: tuple[str, str]  # questions a member working on this topic might bring
    success: str  # what would make the circle worthwhile for this topic


ORGANISATIONS = (
    Organisation("St Brigid's Hospital Trust", ("Europe/London", "Europe/Dublin"), {
        "Emergency Medicine": ("Emergency registrar", "Charge nurse", "Consultant in emergency medicine"),
        "Nursing Education": ("Clinical educator", "Practice development nurse", "Nurse tutor"),
        "Digital Health": ("Clinical informatics lead", "Data analyst", "EPR trainer"),
    }),
    Organisation("Lumenfold Software", ("Europe/Berlin", "America/Toronto", "Asia/Kolkata"), {
        "Platform Engineering": ("Site reliability engineer", "Backend engineer", "Engineering manager"),
        "Product Design": ("Product designer", "UX researcher", "Content designer"),
        "Customer Success": ("Customer success manager", "Support engineer", "Onboarding specialist"),
    }),
    Organisation("Harbourside City Council", ("Europe/London",), {
        "Housing Services": ("Housing officer", "Tenancy support lead", "Homelessness caseworker"),
        "Climate & Transport": ("Transport planner", "Climate policy officer", "Active travel lead"),
        "People & Culture": ("HR business partner", "Learning and development advisor", "Wellbeing lead"),
    }),
    Organisation("University of Westmere", ("Europe/London", "Africa/Lagos", "Australia/Melbourne"), {
        "School of Biosciences": ("Lecturer in genetics", "Postdoctoral researcher", "Lab manager"),
        "Research Office": ("Research development manager", "Funding officer", "Impact officer"),
        "Student Services": ("Student adviser", "Disability adviser", "Careers consultant"),
    }),
)

FIRST_NAMES = (
    "Amara", "Kwame", "Sofia", "Mateo", "Priya", "Arjun", "Mei", "Hiroshi", "Fatima", "Omar",
    "Ingrid", "Lars", "Chiara", "Tomasz", "Zanele", "Thabo", "Aisling", "Declan", "Leila",
    "Dariush", "Ngozi", "Emeka", "Camila", "Diego", "Yusuf", "Elif", "Hannah", "Samuel",
    "Mariam", "Bilal", "Rosa", "Joaquín", "Anika", "Ravi", "Sun-hee", "Min-jun", "Olga",
    "Dmitri", "Grace", "Kofi", "Isla", "Callum", "Noor", "Hamza", "Lucía", "Pedro", "Aroha",
    "Tane", "Freya", "Magnus", "Yara", "Karim", "Esther", "Tobias", "Wanjiru", "Jomo", "Linh",
    "Minh", "Saoirse", "Niamh",
)
LAST_NAMES = (
    "Okafor", "Mensah", "Rossi", "García", "Sharma", "Patel", "Chen", "Tanaka", "Haddad",
    "Nasser", "Johansson", "Nielsen", "Bianchi", "Kowalski", "Dlamini", "Mokoena", "Byrne",
    "O'Connor", "Farahani", "Adeyemi", "Eze", "Santos", "Herrera", "Demir", "Yılmaz", "Cohen",
    "Mwangi", "Nguyen", "Kim", "Park", "Ivanova", "Novak", "Campbell", "MacLeod", "Hussain",
    "Khan", "Fernández", "Silva", "Ngata", "Larsen", "Schmidt", "Abubakar", "Osei", "Murphy",
    "Walsh", "Alvarez", "Lindqvist", "Baptiste", "Achebe", "Wright",
)
INTERESTS = (
    "Outside work I sing in a community choir.",
    "Weekends usually involve a long walk and a longer lunch.",
    "I am learning Portuguese, slowly.",
    "I run a small allotment and give away too many courgettes.",
    "I volunteer with a local youth football club.",
    "Happy to talk about books, bikes or bread.",
    "I moved into this field after ten years doing something else.",
    "Parent of two, so my calendar is a negotiated settlement.",
    "I swim in the sea all year round.",
    "First in my family to go to university.",
)
CAREER_PATHS = ("career changer", "first in family at university", "returner after a break",
                "apprentice route", "moved country for work", "long tenure in one place")
AGE_BANDS = ("25–34", "35–44", "45–54", "55+")
GROUP_NAMES = ("Lantern circle", "Compass circle", "Tideline circle", "Orchard circle")
COMMUNITY_NAME = "Open Mentoring Circle (demo)"
COMMUNITY_DESCRIPTION = (
    "A cross-organisation co-mentoring programme run jointly by a hospital trust, a software "
    "company, a city council and a university. Members meet in pairs and small groups with "
    "people outside their own team: everyone brings strengths, everyone brings questions. "
    "All people and organisations here are invented."
)

TOPICS = (
    TopicText("Public speaking", "I can help you structure a talk and rehearse it out loud.",
              ("How do I stop rushing when I present to senior leaders?",
               "How do I open a talk so people actually listen?"),
              "Give a ten-minute talk to a new audience and ask two people for honest feedback."),
    TopicText("Data analysis", "I can sit with you over a messy spreadsheet and find the story in it.",
              ("How do I check whether a change in our numbers is real or just noise?",
               "Which questions should I ask before I trust a dataset someone hands me?"),
              "Answer one real work question with data, and explain the caveats plainly."),
    TopicText("Negotiation", "I can role-play the other side of a tricky negotiation with you.",
              ("How do I ask for a pay rise without sounding apologetic?",
               "How do I negotiate deadlines with a partner who holds all the cards?"),
              "Go into one negotiation with a written plan and a walk-away point."),
    TopicText("Project management", "I can share the lightweight planning habits that keep my projects on track.",
              ("How do I keep a project moving when half the team is part-time?",
               "How do I say a project is slipping before it becomes a crisis?"),
              "Run one project with a plan the whole team can see and update."),
    TopicText("Career change", "I changed careers twice and can talk through what I wish I'd known.",
              ("Is it realistic to move from a clinical role into data work?",
               "How do I explain a career change in an interview?"),
              "Have three conversations with people already doing the job I want."),
    TopicText("Leading without authority", "I can share how I get things done across teams I don't manage.",
              ("How do I get another department to prioritise something that matters to us?",
               "How do I lead a working group where everyone outranks me?"),
              "Move one cross-team piece of work forward without escalating it."),
    TopicText("Grant writing", "I have written and reviewed many funding bids and can read your draft.",
              ("How do I make the case for impact in a bid when the outcomes are long-term?",
               "What do reviewers look for in a first-time applicant?"),
              "Submit one funding application I am proud of."),
    TopicText("Python", "I can pair with you on Python, from first scripts to tidy, tested code.",
              ("How do I go from copy-pasting scripts to writing code I can maintain?",
               "Which Python tools are worth learning first for automating reports?"),
              "Automate one weekly task that currently takes me an afternoon."),
    TopicText("UX research", "I can help you plan interviews and turn notes into findings.",
              ("How do I recruit research participants when the budget is zero?",
               "How do I present research findings so they change a decision?"),
              "Run five user interviews and share the findings with my team."),
    TopicText("Budgeting", "I can walk you through building and defending a budget.",
              ("How do I build a budget for a service that has never existed before?",
               "How do I explain an overspend to finance without getting defensive?"),
              "Own my team's budget for a quarter and present it with confidence."),
    TopicText("Mentoring others", "I have mentored for years and can share what made it work.",
              ("How do I mentor someone whose job I don't fully understand?",
               "How do I know whether my mentoring is actually helping?"),
              "Start mentoring one person and agree together what success looks like."),
    TopicText("Work-life balance", "I can share the boundaries that helped me stop working evenings.",
              ("How do I stop answering messages at ten at night?",
               "How do I protect focus time when my calendar belongs to everyone?"),
              "Keep two evenings a week entirely free of work for a month."),
    TopicText("Stakeholder management", "I can help you map stakeholders and plan who to talk to first.",
              ("How do I handle a stakeholder who agrees in meetings and blocks afterwards?",
               "How do I keep many stakeholders informed without drowning in meetings?"),
              "Map my stakeholders and have a one-to-one with the three that matter most."),
    TopicText("Giving feedback", "I can help you prepare for a difficult feedback conversation.",
              ("How do I give critical feedback to a peer I like?",
               "How do I ask for feedback and actually get something useful?"),
              "Have one honest feedback conversation I have been putting off."),
    TopicText("Managing a team", "I can share what I learnt in my first two years as a manager.",
              ("How do I go from peer to manager of the same team?",
               "How do I run one-to-ones that aren't just status updates?"),
              "Hold regular one-to-ones with everyone in my team for three months."),
    TopicText("Change management", "I have led several restructures and can help you plan the people side.",
              ("How do I bring a sceptical team through a change they didn't choose?",
               "How do I tell whether resistance is a signal or just noise?"),
              "Plan and communicate one change so that nobody hears about it second-hand."),
    TopicText("Clinical leadership", "I can share how I lead a clinical team under pressure.",
              ("How do I keep a ward team together through a winter of staff shortages?",
               "How do I speak up about a safety concern without alienating colleagues?"),
              "Lead one improvement on my unit and measure whether it helped."),
    TopicText("Service design", "I can help you map a service end to end and spot where it breaks.",
              ("How do I redesign a service when I can't change the IT system?",
               "How do I involve residents in designing a service, not just consult them?"),
              "Map one service from the user's side and fix one broken step."),
    TopicText("Writing for publication", "I can give detailed comments on a draft paper or article.",
              ("How do I respond to harsh peer-review comments without losing heart?",
               "How do I find time to write when teaching fills the week?"),
              "Send one article or paper out for review."),
    TopicText("Data visualisation", "I can help you turn a cluttered chart into one that makes its point.",
              ("How do I choose the right chart for a board report?",
               "How do I show uncertainty in a chart without confusing people?"),
              "Redesign our monthly dashboard so a newcomer understands it in a minute."),
    TopicText("Procurement", "I know public procurement rules and can help you avoid the common traps.",
              ("How do I write a specification that doesn't lock us into one supplier?",
               "How do I run a small procurement quickly but fairly?"),
              "Run one procurement from specification to contract without a re-tender."),
    TopicText("Community engagement", "I can help you plan engagement that reaches people who rarely take part.",
              ("How do I hear from residents who never come to consultation events?",
               "How do I report back to a community so they trust us next time?"),
              "Run one engagement that reaches a group we usually miss."),
    TopicText("Hiring and interviewing", "I have sat on many panels and can help you design fair interviews.",
              ("How do I make our interviews fairer to candidates from different backgrounds?",
               "How do I decide between two good candidates?"),
              "Redesign one interview process and ask candidates how it felt."),
    TopicText("Conflict resolution", "I am a trained mediator and can help you think through a conflict.",
              ("How do I step in when two people in my team have stopped speaking?",
               "How do I stay calm when a conversation turns personal?"),
              "Help resolve one conflict early, before it needs escalating."),
    TopicText("Time management", "I can share the weekly planning routine that rescued my diary.",
              ("How do I say no to requests without damaging relationships?",
               "How do I make progress on important work when urgent things keep landing?"),
              "Protect four hours a week for deep work and keep it up for two months."),
    TopicText("Strategic planning", "I can help you turn a vague ambition into a plan with milestones.",
              ("How do I write a strategy people read rather than file?",
               "How do I link my team's plan to the organisation's priorities?"),
              "Write a one-page strategy for my team and test it with colleagues."),
    TopicText("Cloud infrastructure", "I can explain cloud hosting choices without the jargon.",
              ("How do I estimate cloud costs before we commit to a platform?",
               "What should I learn first to move into infrastructure work?"),
              "Deploy one small service myself and understand every part of it."),
    TopicText("Accessibility", "I can review a page or document for accessibility with you.",
              ("How do I make accessibility part of our process rather than a final check?",
               "How do I test a page with a screen reader when I have never used one?"),
              "Fix the accessibility problems on one service my team owns."),
    TopicText("Policy writing", "I can help you write policy that people can actually follow.",
              ("How do I write a policy that balances legal caution with plain English?",
               "How do I get a policy through committee without it being watered down?"),
              "Take one policy from draft to approval."),
    TopicText("Building confidence", "I can share what helped me speak up in rooms where I felt out of place.",
              ("How do I stop feeling like an impostor in senior meetings?",
               "How do I put myself forward for opportunities without waiting to be asked?"),
              "Put myself forward for one stretch opportunity."),
)
GOAL_NOTES = (
    "Came up in my last appraisal.",
    "I keep avoiding this; time to face it.",
    "Needed for the role I want next.",
    "Something I want to practise this year, not just read about.",
    "",
)
# Weekly windows a busy person might offer: (start minute, length in minutes).
# The demo programme's session slots (London time): Tuesday to Thursday at 12:00 and 16:00.
PROGRAMME_SLOTS = [(day, minute) for day in (1, 2, 3) for minute in (12 * 60, 16 * 60)]
SLOT_MINUTES = 90
