using System.Globalization;
using System.Text.RegularExpressions;
using MissedCallFunctions.Conversation;

namespace MissedCallFunctions.Bookings;

/// <summary>What a patient's reply means for booking.</summary>
public enum BookingReplyKind
{
    /// <summary>Wants an appointment but named no time ("yes", "can I book in", "asap"): offer the earliest slots.</summary>
    WantsBooking,

    /// <summary>Asked for a day or time (<see cref="BookingReply.Window"/>): offer slots inside it.</summary>
    TimePreference,

    /// <summary>Picked one of the offered slots (<see cref="BookingReply.OfferIndex"/>).</summary>
    ChoseOffer,

    /// <summary>Would rather be called (<see cref="BookingReply.Window"/> may say when).</summary>
    CallMe,

    /// <summary>Asked something (prices, insurance, location, hours): for the team, not the booking flow.</summary>
    Question,

    /// <summary>Cancels an existing appointment.</summary>
    CancelBooking,

    /// <summary>Does not want to book now ("no thanks", "all sorted", "I'll call you").</summary>
    Decline,

    /// <summary>None of the rules matched.</summary>
    Unclear,
}

/// <summary>The booking meaning of a reply and the rule that decided it, so every decision can be explained.</summary>
/// <param name="Kind">What the reply asks for.</param>
/// <param name="Rule">The rule that matched, e.g. <c>offer number 2</c> or <c>day 'tomorrow' + time 'morning'</c>.</param>
/// <param name="Window">The day/time window asked for (TimePreference, CallMe when given), or the day of the appointment a
/// CancelBooking names.</param>
/// <param name="OfferIndex">0-based index into the offered slots (ChoseOffer).</param>
public sealed record BookingReply(BookingReplyKind Kind, string Rule, TimeWindow? Window = null, int? OfferIndex = null)
{
    /// <summary>The patient wants to move an existing appointment ("can we move it to Friday").</summary>
    public bool Reschedule { get; init; }

    /// <summary>The patient turned down the slots offered ("none of those work"): offer different ones.</summary>
    public bool RejectedOffers { get; init; }

    public override string ToString()
    {
        var parts = new List<string> { Kind.ToString() };
        if (OfferIndex is { } index)
        {
            parts.Add($"offer {index + 1}");
        }

        if (Window is not null)
        {
            parts.Add(Window.ToString());
        }

        if (Reschedule)
        {
            parts.Add("reschedule");
        }

        if (RejectedOffers)
        {
            parts.Add("rejected offers");
        }

        return $"{string.Join(", ", parts)} ({Rule})";
    }
}

/// <summary>
/// Deterministic, explainable reading of a patient's SMS reply in a booking conversation. Pure: no I/O, no clock
/// (today is the clinic-local date of <c>now</c>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Safety and compliance come first, and not from here.</b> The caller runs <see cref="ReplyClassifier.Classify"/>
/// before this parser and acts on OptOut, OptIn, Help and Urgent itself; only an <see cref="ReplyIntent.Other"/> reply
/// reaches <see cref="Parse"/>. This parser never decides opt-out or urgency: the bare word "cancel" (a carrier opt-out
/// keyword when it is the whole message) would read here as <see cref="BookingReplyKind.CancelBooking"/>.
/// </para>
/// <para>
/// Precedence, first match wins:
/// <list type="number">
/// <item>Cancel wording ("cancel my appointment", "can't make it"). A day said with it names the appointment
/// ("cancel tomorrow's", <see cref="BookingReply.Window"/> set); a day the patient asks for instead ("can't make it
/// Thursday, can we do Friday?") makes it a reschedule, read as a time preference.</item>
/// <item>The patient will call us ("I'll call you back"): Decline.</item>
/// <item>Call me ("can you call me after 5"): CallMe, with the window when one is given.</item>
/// <item>Topic questions (price, insurance, address, parking, opening hours): Question.</item>
/// <item>With offers: an explicit choice ("2", "option 2", "the second one", "2nd", "the first", "the last one").</item>
/// <item>Firm declines ("no thanks", "not interested", "all sorted").</item>
/// <item>With offers: a day/time that matches exactly one offer ("Tuesday", "10am", "the Thursday one").</item>
/// <item>A day/time window: TimePreference.</item>
/// <item>With exactly one offer: an affirmative ("yes", "that works"): ChoseOffer 1.</item>
/// <item>"None of those work" / reschedule without a time: WantsBooking with the flag set.</item>
/// <item>Soft declines ("no", "not now", "maybe later").</item>
/// <item>Booking words and affirmatives ("yes please", "can I book", "asap"): WantsBooking.</item>
/// <item>Anything else asked as a question: Question. Otherwise Unclear.</item>
/// </list>
/// </para>
/// <para>
/// Days: "today", "tomorrow", "day after tomorrow"; a weekday is its next occurrence, today included ("Thursday");
/// "next Thursday" / "Thursday next week" is the Thursday of next (Monday-based) week; "Friday week" is a week after the
/// coming Friday; "this weekend"; "next week" is Monday-Friday of next week ("early"/"end of" next week narrow it);
/// "this week"; "in 3 days"; "in 2 weeks"; "next month"; dates ("the 12th", "March 3", "3rd of March", "3/12": month
/// first in America/* zones, day first elsewhere), always the next such date. Times: "morning" 08:00-12:00,
/// "first thing" 08:00-10:00, "lunchtime" 12:00-14:00, "afternoon" 12:00-17:00, "late afternoon" 15:00-18:00,
/// "evening"/"after work" 17:00-close; "after 5" 17:00-close; "before 10"; "between 2 and 4"; an exact time ("2pm",
/// "at 3", "10:30", "half 3") is that time ±1 hour with <see cref="TimeWindow.Preferred"/> set. An hour without am/pm
/// is read as clinic hours: 1-6 afternoon, 7-11 morning, unless "morning"/"afternoon"/"evening" says otherwise.
/// </para>
/// <para>A few Spanish words are understood (sí, mañana, lunes..domingo, tarde, noche, llámame, no gracias, cita).</para>
/// </remarks>
public static class BookingIntentParser
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Compiled;

    /// <summary>Longer replies are read from their start only (an SMS thread pasted back, a novel).</summary>
    public const int MaxLength = 640;

    private const string Weekday = "monday|tuesday|wednesday|thursday|friday|saturday|sunday";

    private const string Month = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";

    /// <summary>Token spellings mapped to one form before any rule runs.</summary>
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.Ordinal)
    {
        ["tmrw"] = "tomorrow", ["tmr"] = "tomorrow", ["tmrow"] = "tomorrow", ["tomoz"] = "tomorrow", ["2moro"] = "tomorrow",
        ["2morrow"] = "tomorrow", ["2mrw"] = "tomorrow", ["2mro"] = "tomorrow", ["tomorow"] = "tomorrow", ["tommorow"] = "tomorrow",
        ["tommorrow"] = "tomorrow", ["tomorro"] = "tomorrow", ["tmoro"] = "tomorrow", ["tomo"] = "tomorrow", ["tmw"] = "tomorrow",
        ["2day"] = "today", ["todays"] = "today", ["tomorrows"] = "tomorrow", ["tonights"] = "tonight", ["tday"] = "today", ["2nite"] = "tonight", ["tonite"] = "tonight", ["2night"] = "tonight",
        ["mon"] = "monday", ["tue"] = "tuesday", ["tues"] = "tuesday", ["wed"] = "wednesday", ["weds"] = "wednesday",
        ["wednes"] = "wednesday", ["wensday"] = "wednesday", ["wednsday"] = "wednesday", ["thu"] = "thursday", ["thur"] = "thursday",
        ["thurs"] = "thursday", ["thrs"] = "thursday", ["thursay"] = "thursday", ["fri"] = "friday", ["sat"] = "saturday",
        ["sun"] = "sunday", ["mondays"] = "monday", ["tuesdays"] = "tuesday", ["wednesdays"] = "wednesday", ["thursdays"] = "thursday",
        ["fridays"] = "friday", ["saturdays"] = "saturday", ["sundays"] = "sunday",
        ["appt"] = "appointment", ["appts"] = "appointments", ["apt"] = "appointment", ["apointment"] = "appointment",
        ["appoinment"] = "appointment", ["appointmet"] = "appointment",
        ["pls"] = "please", ["plz"] = "please", ["plse"] = "please", ["pleas"] = "please", ["u"] = "you", ["r"] = "are", ["ur"] = "your",
        ["wk"] = "week", ["nxt"] = "next", ["arvo"] = "afternoon", ["aft"] = "afternoon", ["eve"] = "evening", ["morn"] = "morning",
        ["mornin"] = "morning", ["mrng"] = "morning", ["evng"] = "evening",
        ["ya"] = "yes", ["yah"] = "yes", ["yea"] = "yes", ["yeah"] = "yes", ["yep"] = "yes", ["yup"] = "yes", ["ye"] = "yes",
        ["yess"] = "yes", ["yesss"] = "yes", ["yas"] = "yes", ["yeh"] = "yes", ["yse"] = "yes", ["si"] = "yes",
        ["okay"] = "ok", ["okey"] = "ok", ["k"] = "ok", ["kk"] = "ok", ["okie"] = "ok", ["oki"] = "ok", ["okk"] = "ok",
        ["thx"] = "thanks", ["ty"] = "thanks", ["cheers"] = "thanks", ["ta"] = "thanks", ["tks"] = "thanks",
        ["nope"] = "no", ["nah"] = "no", ["naw"] = "no", ["nay"] = "no",
        ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5", ["six"] = "6", ["seven"] = "7", ["eight"] = "8",
        ["nine"] = "9", ["ten"] = "10", ["eleven"] = "11", ["twelve"] = "12", ["oclock"] = "oclock",
        // Spanish (accents already stripped).
        ["lunes"] = "monday", ["martes"] = "tuesday", ["miercoles"] = "wednesday", ["jueves"] = "thursday", ["viernes"] = "friday",
        ["sabado"] = "saturday", ["domingo"] = "sunday", ["hoy"] = "today", ["tarde"] = "afternoon", ["noche"] = "evening",
        ["cita"] = "appointment", ["gracias"] = "thanks", ["llamame"] = "call me", ["llameme"] = "call me", ["llamenme"] = "call me",
    };

    /// <summary>Politeness and glue words that do not change which offer is meant ("2 please", "I'll take 2").</summary>
    private static readonly HashSet<string> ChoiceFiller = new(StringComparer.Ordinal)
    {
        "please", "thanks", "thank", "you", "ok", "yes", "sure", "lets", "let", "us", "do", "go", "with", "take", "ill", "i", "will",
        "want", "would", "like", "id", "the", "one", "works", "work", "is", "good", "great", "perfect", "fine", "for", "me", "that",
        "book", "option", "number", "sounds", "can", "have", "we", "it", "then", "a", "x", "xx", "xxx", "lol", "hi", "hello", "hey",
        "im", "choose", "pick", "prefer", "please", "best", "suits", "suit", "is", "thats", "that", "ideal", "brilliant", "lovely",
        "awesome", "cool", "yes", "please", "in", "ill", "do", "oh", "um", "hmm", "great", "definitely", "be", "would", "go", "for",
    };

    private static readonly HashSet<string> MonthFirstZones = new(StringComparer.OrdinalIgnoreCase) { "US", "Canada" };

    // ---- Rules on the whole normalised text -------------------------------------------------------------------------

    private static readonly Regex Reschedule = Rx(
        @"\b(?:reschedule|re schedule|rescheduling|rebook|re book|rearrange|move (?:my|the|our|it|this|that|her|his)\b|change (?:my|the|our|it|this|that) (?:appointment|appointments|booking|time|day|date|slot)|push (?:it|my appointment|the appointment) back|bring (?:it|my appointment|the appointment) forward|(?:a |another |different )(?:time|day|date) instead|instead)\b");

    private static readonly (Regex Pattern, string Rule)[] CancelRules =
    [
        (Rx(@"\bcancel+(?:ing|ed|ation)?\b(?! (?:policy|fee|charge|charges|list))(?: (?:my|the|our|this|that|her|his|it|tomorrow|today|for))?"), "phrase 'cancel my appointment'"),
        (Rx(@"\b(?:cant|cannot|can not|wont be able to|will not be able to|not able to|unable to|wont|will not|not going to|not gonna|no longer able to|am not going to) (?:make it|make (?:my|the|our) (?:appointment|booking)|come(?: in)?|attend|be there|be able to (?:come|make it|attend))\b(?! (?:in )?(?:until|till|til|before|after|\d))"), "phrase 'can't make it'"),
        (Rx(@"\bwont be (?:coming|there|in)\b|\bnot coming\b"), "phrase 'won't be coming'"),
    ];

    /// <summary>With cancel wording, a day or time is a new time only when the patient asks for it.</summary>
    private static readonly Regex AlternativeAsk = Rx(
        @"\b(?:but|instead|how about|what about|can (?:i|we|you) (?:do|come|make|go|get|have)|could (?:i|we|you)|is there|anything|any (?:chance|slots?|time|space)|free|available|rather|prefer|better|works?|ok|okay|fine|possible)\b");

    private static readonly Regex PatientWillCall = Rx(
        @"\b(?:ill|i will|i ll|im going to|im gonna|i am going to|i can|will|gonna) (?:just )?(?:call|ring|phone)(?: you| the office| the clinic| in| back| later| tomorrow| when| on| myself|$)|\bill give (?:you|the office) a (?:call|ring|bell)\b|\b(?:will|ill) call (?:back|later)\b");

    private static readonly Regex CallMe = Rx(
        @"\b(?:call me|ring me|phone me|call us|give me a (?:call|ring|bell|buzz)|(?:can|could|would|will|pls|please) (?:you|someone|somebody|anyone|a person|the office|reception) (?:please |just |give me a )?(?:call|ring|phone)|(?:please |pls )?call (?:me )?back|callback|call back|rather (?:talk|speak|chat|call)|prefer (?:to )?(?:talk|speak|a call|a phone call|a callback|phone)|(?:speak|talk|chat) (?:to|with) (?:someone|somebody|a person|a human|a real person|reception|the receptionist|the front desk|staff|you|the dentist|the doctor)|can i (?:speak|talk)|(?:easier|quicker|faster|simpler) (?:to |by )?(?:talk|call|phone|on the phone)|(?:me )?pueden llamar)\b");

    private static readonly Regex TopicQuestion = Rx(
        @"\b(?:how much|cost|costs|price|prices|pricing|fee|fees|charge|charges|insurance|insured|nhs|medicaid|medicare|covered|payment plan|finance|financing|deposit|where are you|where is|whats your address|what is your address|your address|located|location|parking|park|directions|what do i (?:need|bring)|do i need to bring|how long (?:does|will|is|do)|do you (?:do|offer|treat|take|accept|see|sell|have parking|have a car park|speak)|does (?:it|the|she|he) (?:hurt|take|cost)|is (?:it|the|there) (?:covered|free|painful|wheelchair|parking|step free)|who (?:is|will|am)|are you (?:open|closed)|open (?:on|at|till|until|late)|what time do you (?:open|close)|when do you (?:open|close)|opening (?:hours|times)|your hours|what are your hours)\b");

    private static readonly Regex StrongDecline = Rx(
        @"^no(?: thanks| thank you| thankyou| ta)+\b|\b(?:no thanks|no thank you|no thankyou|not interested|no need|dont need|do not need|(?:dont|do not) want (?:to (?:book|come in|make an|schedule|go ahead)|an appointment|one|it|any\b)|never ?mind|nvm|all good|im good|im fine|im ok|i am good|i am fine|all sorted|sorted now|got it sorted|already (?:booked|sorted|got|have|made|seen|been)|found (?:another|a different|someone|somewhere)|went (?:elsewhere|somewhere else|to another)|gone (?:elsewhere|somewhere else|to another)|no longer need|dont bother|forget it|its fine now|it is fine now|feeling better|not needed|no gracias|ill pass|i will pass)\b");

    private static readonly Regex SoftDecline = Rx(
        @"^(?:no|not now|not yet|not today|maybe later|later|another time|some other time|maybe another time|not at the moment|not right now|no not now)(?: sorry| thanks| thank you)*$|\b(?:not (?:right )?now|not at the moment|not at this time|maybe (?:later|another time|some other time|next time)|some other time|(?:ill|i will|let me) (?:think|get back|check|let you know|look|see)|ill (?:text|message|get back|be in touch)|will (?:let you know|get back))\b");

    private static readonly Regex NoneOfOffers = Rx(
        @"\b(?:none of (?:those|these|them|the above|the times|the options)|neither|(?:those|these|that|them|they)(?: times?| days?| slots?| options?| ones?| dates?)? (?:dont|wont|do not|will not|doesnt|dont really|arent|are not|dont quite|wouldnt) (?:work|suit|fit|good)|(?:cant|cannot|can not) (?:do|make) (?:any|either|those|these|them|that)|(?:any|anything|something|nothing) (?:else|other|later|earlier|sooner)|other (?:times|days|options|slots|dates)|(?:too|bit) (?:early|late|soon)|later (?:one|time|slot|in the day|date)|earlier (?:time|slot|date|one)|no good for me|not good for me)\b");

    private static readonly Regex BookingWords = Rx(
        @"\b(?:book|booking|booked|appointment|appointments|slot|slots|schedule|come in|come by|pop in|pop by|get in|be seen|see (?:the|a|someone|somebody|dr|doctor|dentist|hygienist|nurse)|check ?up|cleaning|clean|consult|consultation|visit|available|availability|openings?|spaces?|earliest|soonest|asap|first available|next available|sign me up|fit me in|squeeze me in|get me in|make an|i need (?:to|a|an)|need to (?:come|see|get|book)|want to (?:come|see|get|book)|like to (?:come|see|get|book|make)|when can i|when can you|what do you have|whats available|what have you got)\b");

    private static readonly Regex Affirmative = Rx(
        @"^(?:(?:hi|hello|hey|hiya|oh|um|erm|ah|well|so|and|but|great) )*(?:yes|ok|sure|please|definitely|absolutely|of course|certainly|alright|all right|great|perfect|sounds good|sounds great|go ahead|lets do it|lets do that|do it|that works|that would be great|that would be good|that would be lovely|that would be perfect|id like that|i would like that|id love that|i would love that|thats fine|thats great|thats perfect|thats good|fine|lovely|brilliant|cool|yes please|why not|works for me|good|ideal|deal|book it|book me in|book me|i want it|i will take it|ill take it|that one|this one)\b");

    private static readonly Regex Earliest = Rx(@"\b(?:asap|as soon as possible|soonest|earliest|first available|next available|as early as possible|soon as you can|whenever|any ?time|any day|anyday|whatever is (?:first|soonest|earliest|available))\b");

    private static readonly Regex QuestionStart = Rx(
        @"^(?:what|whats|when|where|how|who|why|which|do you|does|did|is|are|can you|could you|will you|would you|have you|should i|do i|can i|may i)\b");

    private static readonly Regex AvailabilityQuestion = Rx(
        @"\b(?:anything|any (?:slots?|appointments?|availability|openings?|times?|space|room|spots?)|do you have|have you got|got anything|is there|are there|are you free|is that free|free on|available on|availability on|instead|rather|prefer|better)\b|\bis \w+ (?:free|available|ok|possible|open)\b");

    // ---- Offer choice --------------------------------------------------------------------------------------------------

    private static readonly Regex OptionNumber = Rx(@"\b(?:option|number|no|choice|slot|#|opt)\s?(?<n>[1-9]|one)\b(?! ?(?:am|pm|h\d))");

    private static readonly Regex Ordinal = Rx(
        @"(?:(?<the>\bthe )|\b)(?<o>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final|latter|former|earliest|earlier|latest|later|soonest|top|bottom|middle)\b(?<after> [a-z0-9]+)?");

    private static readonly HashSet<string> OrdinalObject = new(StringComparer.Ordinal) { "one", "option", "choice", "slot", "1", "time", "appointment", "offer", "opt" };

    private static readonly HashSet<string> OrdinalNotChoice = new(StringComparer.Ordinal)
    {
        "thing", "available", "free", "possible", "opening", "week", "day", "of", "in", "this", "that", "next", "on", "today", "tomorrow",
        "part", "half", "morning", "afternoon", "evening", "than", "and",
    };

    // ---- Days ------------------------------------------------------------------------------------------------------------

    private static readonly Regex DayAfterTomorrow = Rx(@"\b(?:the )?day after tomorrow\b|\bpasado manana\b");

    private static readonly Regex Today = Rx(@"\btoday\b|\btonight\b|\bthis (?:morning|afternoon|evening)\b");

    private static readonly Regex Tomorrow = Rx(@"\btomorrow\b|(?<!\b(?:la|por la|en la) )\bmanana\b");

    private static readonly Regex WeekdayRx = Rx(
        @"\b(?:(?<q>this coming|this|next|coming|on|following) )?(?<d>" + Weekday + @")\b(?<w> next week| after next| week)?");

    private static readonly Regex NegatedDay = Rx(
        @"\b(?:not|cant do|cant make|cant make it|cannot do|cannot make|can not do|busy|no good|not free|working|i work|work on|not available) (?:on )?(?:this |next )?(?:" + Weekday + @"|tomorrow|today)\b|\b(?:" + Weekday + @"|tomorrow|today) (?:is no good|is not good|isnt good|doesnt work|does not work|is bad|wont work|is out|im busy|i am busy|im working|no good|not good|is not possible|isnt possible)\b");

    private static readonly Regex WorkingHours = Rx(@"\b(?:i |im )?(?:work|working|at work|on shift)(?: from)? \d{1,2}(?:h\d{2})?(?: ?[ap]m)? to \d{1,2}(?:h\d{2})?(?: ?[ap]m)?\b");

    private static readonly (Regex Pattern, string Rule, Func<DateOnly, (DateOnly From, DateOnly To)> Days)[] WeekRules =
    [
        (Rx(@"\b(?:early|beginning of|start of|first thing) next week\b"), "early next week", t => (NextMonday(t), NextMonday(t).AddDays(1))),
        (Rx(@"\b(?:late|later|end of|latter part of|towards the end of) next week\b"), "end of next week", t => (NextMonday(t).AddDays(3), NextMonday(t).AddDays(4))),
        (Rx(@"\b(?:the )?weekend after next\b"), "weekend after next", t => (NextMonday(t).AddDays(12), NextMonday(t).AddDays(13))),
        (Rx(@"\bthis week or next(?: week| one)?\b"), "this week or next", t => (t, NextMonday(t).AddDays(4))),
        (Rx(@"\bnext weekend\b"), "next weekend", t => (NextMonday(t).AddDays(5), NextMonday(t).AddDays(6))),
        (Rx(@"\b(?:the )?week after next\b"), "week after next", t => (NextMonday(t).AddDays(7), NextMonday(t).AddDays(11))),
        (Rx(@"\b(?:next|following|the following|coming) week\b|\bsemana que viene\b|\bproxima semana\b"), "next week", t => (NextMonday(t), NextMonday(t).AddDays(4))),
        (Rx(@"\b(?:this |the )?weekend\b|\bfin de semana\b"), "weekend", Weekend),
        (Rx(@"\b(?:end of|towards the end of|later in) (?:the|this) week\b"), "end of this week", t => EndOfWeek(t)),
        (Rx(@"\b(?:later|sometime|some time|any ?time|anyday|any day|rest of) (?:this|the|of the|of this) week\b|\bthis week\b|\besta semana\b"), "this week", t => (t, NextMonday(t).AddDays(-1))),
        (Rx(@"\bnext month\b"), "next month", t => (new DateOnly(t.Year, t.Month, 1).AddMonths(1), new DateOnly(t.Year, t.Month, 1).AddMonths(2).AddDays(-1))),
    ];

    private static readonly Regex InDays = Rx(@"\bin (?<n>\d{1,2}|a|one|a couple of|a couple|couple of|a few|few) (?<u>days?|weeks?)\b");

    private static readonly Regex DayMonth = Rx(@"\b(?:the )?(?<d>\d{1,2})(?:st|nd|rd|th)?(?: of)? (?<m>" + Month + @")\b");

    private static readonly Regex MonthDay = Rx(@"\b(?<m>" + Month + @") (?:the )?(?<d>\d{1,2})(?:st|nd|rd|th)?\b(?! ?(?:am|pm|h\d))");

    private static readonly Regex NumericDate = Rx(@"\b(?<a>\d{1,2})dm(?<b>\d{1,2})\b");

    private static readonly Regex DayOfMonth = Rx(@"\b(?:the )?(?<d>\d{1,2})(?:st|nd|rd|th)\b(?! (?:one|option|choice|slot))");

    // ---- Times -----------------------------------------------------------------------------------------------------------

    private static string T(int n) => $@"(?<h{n}>\d{{1,2}})(?:h(?<m{n}>\d{{2}}))?(?: ?(?<ap{n}>am|pm)\b|(?<ap{n}>a|p)\b)?";

    private static readonly Regex Range = Rx(
        @"\b(?:(?<between>between|from|btwn|anytime between|any time between) )?" + T(1) + @" ?(?:and|to|till|until|til|through|or) " + T(2) + @"\b(?! ?(?:days?|weeks?|hours?|hrs?|mins?|minutes?|people|kids|children|of))");

    private static readonly Regex After = Rx(@"\b(?:after|from|past|not before|no earlier than|later than|anytime after|any time after|sometime after|some time after|starting at|start at|despues de las?) (?:(?<word>work|school|lunch|dinner)\b|" + T(1) + @"\b)");

    private static readonly Regex AfterPostfix = Rx(@"\b" + T(1) + @" (?:onwards|onward|or later|and later|or after|and after|on wards)\b");

    private static readonly Regex Before = Rx(@"\b(?:before|by|until|till|til|up to|no later than|earlier than|antes de las?) (?:(?<word>work|school|lunch|noon|midday)\b|" + T(1) + @"\b)");

    private static readonly Regex AtTime = Rx(@"\b(?:at|around|about|approx|approximately|roughly|for|a las?|say|(?:it|back|forward|appointment|that|this) to) (?:(?<word>noon|midday)\b|" + T(1) + @"\b(?! ?(?:st|nd|rd|th|days?|weeks?|hours?|hrs?|mins?|minutes?|people|kids|children|of|the)\b))");

    private static readonly Regex ExactTime = Rx(@"\b(?<h1>\d{1,2})(?:h(?<m1>\d{2}) ?(?<ap1>am|pm)?|(?: ?(?<ap1>am|pm)|(?<ap1>a|p))\b)|\b(?<word>noon|midday)\b");

    private static readonly Regex DayThenHour = Rx(@"\b(?:" + Weekday + @"|today|tomorrow|tonight) (?:at )?(?<h1>\d{1,2})\b(?! ?(?:st|nd|rd|th|days?|weeks?|of|dm))");

    private static readonly (Regex Pattern, string Rule, TimeOnly From, TimeOnly? To)[] NamedParts =
    [
        (Rx(@"\b(?:first thing|early morning|early in the morning|early am|as early as possible)\b"), "first thing", new(8, 0), new(10, 0)),
        (Rx(@"\b(?:late morning|mid morning|midmorning|later in the morning)\b"), "late morning", new(10, 0), new(12, 0)),
        (Rx(@"\b(?:early afternoon)\b"), "early afternoon", new(12, 0), new(15, 0)),
        (Rx(@"\b(?:late afternoon|late in the afternoon|later in the afternoon|end of the day|end of day)\b"), "late afternoon", new(15, 0), new(18, 0)),
        (Rx(@"\b(?:as late as possible|latest possible|late as possible|last appointment|last slot|late appointment|late one)\b"), "late", new(16, 0), null),
        (Rx(@"\b(?:lunch ?time|lunch break|over lunch|at lunch|during lunch|lunch hour|hora de comida)\b"), "lunchtime", new(12, 0), new(14, 0)),
        (Rx(@"\b(?:mornings?|(?<!\bi )am|por la manana|en la manana)\b"), "morning", new(8, 0), new(12, 0)),
        (Rx(@"\b(?:afternoons?|pm|por la tarde)\b"), "afternoon", new(12, 0), new(17, 0)),
        (Rx(@"\b(?:evenings?|tonight|after work|after hours|after my shift|por la noche)\b"), "evening", new(17, 0), null),
    ];

    private static readonly Regex PmContext = Rx(@"\b(?:afternoon|afternoons|evening|evenings|tonight|pm|after work|tarde|noche)\b");

    private static readonly Regex AmContext = Rx(@"\b(?:morning|mornings|(?<!\bi )am|por la manana)\b");

    /// <summary>Reads a reply that <see cref="ReplyClassifier"/> classified as <see cref="ReplyIntent.Other"/>.</summary>
    /// <param name="text">The patient's message as received.</param>
    /// <param name="now">The instant the message arrived (today is its clinic-local date).</param>
    /// <param name="clinicZone">The clinic's time zone.</param>
    /// <param name="offered">The slots last offered, in the order they were listed ("1", "the first" mean index 0).</param>
    public static BookingReply Parse(string? text, DateTimeOffset now, TimeZoneInfo clinicZone, IReadOnlyList<OfferedSlot>? offered)
    {
        ArgumentNullException.ThrowIfNull(clinicZone);
        var t = Normalize(text);
        if (t.Length == 0)
        {
            return new(BookingReplyKind.Unclear, "empty message");
        }

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, clinicZone).DateTime);
        var offers = (offered ?? []).Select(o =>
        {
            var local = TimeZoneInfo.ConvertTime(o.Start, clinicZone).DateTime;
            return (Date: DateOnly.FromDateTime(local), Time: TimeOnly.FromDateTime(local));
        }).ToList();
        var monthFirst = IsMonthFirst(clinicZone);
        var (window, windowRule) = ExtractWindow(t, today, monthFirst);
        var isQuestion = (text ?? string.Empty).Contains('?', StringComparison.Ordinal) || QuestionStart.IsMatch(t);

        // 1. Cancel (or reschedule).
        var reschedule = Reschedule.Match(t) is { Success: true } r ? r.Value : null;
        foreach (var (pattern, rule) in CancelRules)
        {
            if (pattern.IsMatch(t))
            {
                if (window is not null && (reschedule is not null || isQuestion || AlternativeAsk.IsMatch(t)))
                {
                    return new(BookingReplyKind.TimePreference, $"{rule}, then asks for {windowRule}: reschedule", window) { Reschedule = true };
                }

                if (reschedule is null)
                {
                    // A day said with a cancellation names the appointment being cancelled ("cancel tomorrow's").
                    return new(BookingReplyKind.CancelBooking, window is null ? rule : $"{rule}, {windowRule}", window);
                }
            }
        }

        // 2-3. Who calls whom.
        if (PatientWillCall.Match(t) is { Success: true } willCall && !CallMe.IsMatch(t[..willCall.Index]))
        {
            return new(BookingReplyKind.Decline, $"patient will call: '{willCall.Value}'");
        }

        if (CallMe.Match(t) is { Success: true } callMe)
        {
            return new(BookingReplyKind.CallMe, window is null ? $"phrase '{callMe.Value}'" : $"phrase '{callMe.Value}', {windowRule}", window);
        }

        // 4. Questions about something else than a time.
        if (TopicQuestion.Match(t) is { Success: true } topic)
        {
            return new(BookingReplyKind.Question, $"question about '{topic.Value}'");
        }

        // 5. An explicit pick among the offers.
        if (offers.Count > 0 && ExplicitChoice(t, offers) is { } explicitChoice)
        {
            return new(BookingReplyKind.ChoseOffer, explicitChoice.Rule, null, explicitChoice.Index);
        }

        var rejected = NoneOfOffers.Match(t) is { Success: true } none ? none.Value : null;

        // "instead" after an offer turns the offer down; without offers it moves an existing appointment.
        if (offers.Count > 0 && reschedule is not null && reschedule.EndsWith("instead", StringComparison.Ordinal))
        {
            rejected ??= reschedule;
            reschedule = null;
        }

        // 6. Firm declines.
        if (StrongDecline.Match(t) is { Success: true } strong && reschedule is null && rejected is null)
        {
            return new(BookingReplyKind.Decline, $"phrase '{strong.Value.Trim()}'");
        }

        // 7. A day/time that singles out one offer.
        if (offers.Count > 0 && window is not null && rejected is null && !AvailabilityQuestion.IsMatch(t))
        {
            var matches = MatchOffers(offers, window);
            if (matches.Count == 1)
            {
                return new(BookingReplyKind.ChoseOffer, $"{windowRule} matches offer {matches[0] + 1} only", null, matches[0]);
            }
        }

        // 8. A time preference.
        if (window is not null)
        {
            return new(BookingReplyKind.TimePreference, windowRule, window) { Reschedule = reschedule is not null, RejectedOffers = rejected is not null };
        }

        var affirmative = Affirmative.Match(t) is { Success: true } yes ? yes.Value : null;

        // 9. Yes to a single offer.
        if (offers.Count == 1 && affirmative is not null && rejected is null && !isQuestion)
        {
            return new(BookingReplyKind.ChoseOffer, $"'{affirmative}' to the only offer", null, 0);
        }

        // 10. Wants other slots.
        if (rejected is not null)
        {
            return new(BookingReplyKind.WantsBooking, $"turned the offers down: '{rejected}'") { RejectedOffers = true, Reschedule = reschedule is not null };
        }

        if (reschedule is not null)
        {
            return new(BookingReplyKind.WantsBooking, $"reschedule: '{reschedule}'") { Reschedule = true };
        }

        // 11. Soft declines.
        if (SoftDecline.Match(t) is { Success: true } soft && !BookingWords.IsMatch(t))
        {
            return new(BookingReplyKind.Decline, $"phrase '{soft.Value.Trim()}'");
        }

        // 12. Wants to book.
        if (Earliest.Match(t) is { Success: true } earliest)
        {
            return new(BookingReplyKind.WantsBooking, $"earliest available: '{earliest.Value}'");
        }

        if (BookingWords.Match(t) is { Success: true } booking)
        {
            return new(BookingReplyKind.WantsBooking, $"booking word '{booking.Value}'");
        }

        if (affirmative is not null && !isQuestion)
        {
            return new(BookingReplyKind.WantsBooking, $"affirmative '{affirmative}'");
        }

        // 13. Anything else.
        return isQuestion
            ? new(BookingReplyKind.Question, "other question")
            : new(BookingReplyKind.Unclear, "no rule matched");
    }

    /// <summary>The form every rule reads: lower case, no accents or apostrophes, times as <c>2h30</c>, numeric dates as <c>12dm3</c>.</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return string.Empty;
        }

        var s = (text.Length > MaxLength ? text[..MaxLength] : text).ToLowerInvariant().Replace("\U0001F44D", " ok ", StringComparison.Ordinal).Replace("\U0001F44C", " ok ", StringComparison.Ordinal)
            .Replace("\u2705", " yes ", StringComparison.Ordinal);
        s = PreTime.Replace(s, "$1h$2");
        s = PreMeridiem.Replace(s, "$1m");
        s = PreDate.Replace(s, " $1dm$2 ");
        s = PreRange.Replace(s, "$1 to $2");
        s = PreHash.Replace(s, " number $1");
        s = PreAt.Replace(s, " at ");
        s = PreTilde.Replace(s, " around ");
        s = ReplyClassifier.Normalize(s);
        if (s.Length == 0)
        {
            return s;
        }

        var tokens = s.Split(' ');
        for (var i = 0; i < tokens.Length; i++)
        {
            if (Synonyms.TryGetValue(tokens[i], out var replacement))
            {
                tokens[i] = replacement;
            }
        }

        s = string.Join(' ', tokens);
        s = PostOClock.Replace(s, "$1");
        s = PostIsh.Replace(s, "around $1");
        s = PostHalfPast.Replace(s, "$1h30");
        s = PostQuarterPast.Replace(s, "$1h15");
        s = PostQuarterTo.Replace(s, m => $"{(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 11) % 12 + 1}h45");
        s = PostHalf.Replace(s, "$1h30");
        s = PostOne.Replace(s, "$1 1");
        return s;
    }

    private static readonly Regex PreTime = Rx(@"\b(\d{1,2})[:.](\d{2})(?!\d)");
    private static readonly Regex PreMeridiem = Rx(@"\b([ap])\.\s?m\b\.?");
    private static readonly Regex PreDate = Rx(@"\b(\d{1,2})/(\d{1,2})(?:/\d{2,4})?\b");
    private static readonly Regex PreRange = Rx(@"(\d)\s*[-–]\s*(\d)");
    private static readonly Regex PreHash = Rx(@"#\s?(\d)");
    private static readonly Regex PreAt = Rx(@"@");
    private static readonly Regex PreTilde = Rx(@"~");
    private static readonly Regex PostOClock = Rx(@"\b(\d{1,2}) ?o ?clock\b");
    private static readonly Regex PostIsh = Rx(@"\b(\d{1,2}(?:h\d{2})?(?: ?(?:am|pm))?) ?ish\b");
    private static readonly Regex PostHalfPast = Rx(@"\bhalf past (\d{1,2})\b");
    private static readonly Regex PostQuarterPast = Rx(@"\bquarter past (\d{1,2})\b");
    private static readonly Regex PostQuarterTo = Rx(@"\bquarter to (\d{1,2})\b");
    private static readonly Regex PostHalf = Rx(@"\bhalf (\d{1,2})\b(?! ?(?:hours?|hrs?|an?))");
    private static readonly Regex PostOne = Rx(@"\b(option|number|choice|at|after|before|around|by|until|till|half|past) one\b");

    private static bool IsMonthFirst(TimeZoneInfo zone)
    {
        var id = zone.Id;
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        var area = slash < 0 ? id : id[..slash];
        if (MonthFirstZones.Contains(area))
        {
            return true;
        }

        // The US and Canada (America/*), except the rest of the Americas that writes day first.
        return string.Equals(area, "America", StringComparison.Ordinal)
            && !Regex.IsMatch(id, "Sao_Paulo|Buenos_Aires|Argentina|Santiago|Bogota|Lima|Caracas|Mexico|Montevideo|Asuncion|La_Paz|Guayaquil|Havana|Panama|Costa_Rica|Guatemala|El_Salvador|Managua|Tegucigalpa", RegexOptions.CultureInvariant);
    }

    // ---- Offers -------------------------------------------------------------------------------------------------------------

    private static (int Index, string Rule)? ExplicitChoice(string t, List<(DateOnly Date, TimeOnly Time)> offers)
    {
        var n = offers.Count;
        if (OptionNumber.Match(t) is { Success: true } option)
        {
            var value = option.Groups["n"].Value == "one" ? 1 : int.Parse(option.Groups["n"].Value, CultureInfo.InvariantCulture);
            if (value >= 1 && value <= n)
            {
                return (value - 1, $"offer number {value} ('{option.Value}')");
            }
        }

        var core = t.Split(' ').Where(w => !ChoiceFiller.Contains(w)).ToList();
        if (core.Count == 1 && int.TryParse(core[0], NumberStyles.None, CultureInfo.InvariantCulture, out var bare) && bare >= 1 && bare <= n)
        {
            return (bare - 1, $"offer number {bare}");
        }

        // A bare hour that is not an offer number ("10", "9 please"): the offer at that hour, when only one is.
        if (core.Count == 1 && int.TryParse(core[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hour) && hour is >= 1 and <= 12)
        {
            var clock = hour <= 6 ? hour + 12 : hour;
            var atHour = Enumerable.Range(0, n).Where(i => offers[i].Time.Hour == clock).ToList();
            if (atHour.Count == 1)
            {
                return (atHour[0], $"bare hour {clock:00}:00 matches offer {atHour[0] + 1} only");
            }
        }

        foreach (Match m in Ordinal.Matches(t))
        {
            var word = m.Groups["o"].Value;
            var after = m.Groups["after"].Success ? m.Groups["after"].Value.Trim() : null;
            var hasThe = m.Groups["the"].Success;
            var comparative = word is "earlier" or "later";
            var objectFollows = after is not null && (comparative ? after is "one" or "option" or "choice" : OrdinalObject.Contains(after));
            var restIsFiller = t[(m.Index + m.Length - (after?.Length + 1 ?? 0))..].Split(' ', StringSplitOptions.RemoveEmptyEntries).All(ChoiceFiller.Contains);
            var isChoice = objectFollows
                || (!comparative && restIsFiller && (hasThe || core.Count <= 1))
                || (hasThe && !comparative && after is not null && !OrdinalNotChoice.Contains(after) && !int.TryParse(after, out _));
            if (!isChoice)
            {
                continue;
            }

            int? index = word switch
            {
                "first" or "1st" or "top" => 0,
                "second" or "2nd" => 1,
                "third" or "3rd" => 2,
                "fourth" or "4th" => 3,
                "fifth" or "5th" => 4,
                "last" or "final" or "latter" or "bottom" => n - 1,
                "former" => n == 2 ? 0 : null,
                "middle" => n == 3 ? 1 : null,
                "earliest" or "earlier" or "soonest" => IndexOfEarliest(offers, latest: false),
                "latest" or "later" => IndexOfEarliest(offers, latest: true),
                _ => null,
            };
            if (index is { } i && i >= 0 && i < n)
            {
                return (i, $"ordinal '{m.Value.Trim()}'");
            }
        }

        return null;
    }

    private static int IndexOfEarliest(List<(DateOnly Date, TimeOnly Time)> offers, bool latest)
    {
        var best = 0;
        for (var i = 1; i < offers.Count; i++)
        {
            var compare = offers[i].Date.ToDateTime(offers[i].Time).CompareTo(offers[best].Date.ToDateTime(offers[best].Time));
            if (latest ? compare > 0 : compare < 0)
            {
                best = i;
            }
        }

        return best;
    }

    private static List<int> MatchOffers(List<(DateOnly Date, TimeOnly Time)> offers, TimeWindow window)
    {
        var onDays = Enumerable.Range(0, offers.Count)
            .Where(i => (window.DayFrom is null || offers[i].Date >= window.DayFrom) && (window.DayTo is null || offers[i].Date <= window.DayTo))
            .ToList();
        if (window.Preferred is { } preferred)
        {
            var exact = onDays.Where(i => offers[i].Time == preferred).ToList();
            if (exact.Count > 0 || preferred.Minute != 0)
            {
                return exact;
            }

            return onDays.Where(i => offers[i].Time.Hour == preferred.Hour).ToList();
        }

        return onDays.Where(i => (window.TimeFrom is null || offers[i].Time >= window.TimeFrom) && (window.TimeTo is null || offers[i].Time < window.TimeTo)).ToList();
    }

    // ---- Windows ------------------------------------------------------------------------------------------------------------

    private static (TimeWindow? Window, string Rule) ExtractWindow(string t, DateOnly today, bool monthFirst)
    {
        var rules = new List<string>();
        var dates = new List<(DateOnly From, DateOnly To)>();
        var specific = new List<(DateOnly From, DateOnly To)>();
        var ranges = new List<(DateOnly From, DateOnly To)>();
        var bareWeekdays = new List<DayOfWeek>();

        // Days the patient rules out are not days they ask for, nor are their working hours.
        var text = NegatedDay.Replace(t, " ");
        text = WorkingHours.Replace(text, " ");

        // Calendar dates first, so their numbers are not read as times.
        text = Consume(text, DayMonth, m => DateFor(today, MonthNumber(m.Groups["m"].Value), Int(m.Groups["d"].Value)), dates, rules, "date");
        text = Consume(text, MonthDay, m => DateFor(today, MonthNumber(m.Groups["m"].Value), Int(m.Groups["d"].Value)), dates, rules, "date");
        text = Consume(text, NumericDate, m =>
        {
            var a = Int(m.Groups["a"].Value);
            var b = Int(m.Groups["b"].Value);
            var (month, day) = a > 12 ? (b, a) : b > 12 ? (a, b) : monthFirst ? (a, b) : (b, a);
            return DateFor(today, month, day);
        }, dates, rules, "date");
        text = Consume(text, DayOfMonth, m => DateFor(today, null, Int(m.Groups["d"].Value)), dates, rules, "date");

        var (times, timeRule) = ExtractTimes(ref text, PmContext.IsMatch(t), AmContext.IsMatch(t));
        if (timeRule is not null)
        {
            rules.Add(timeRule);
        }

        text = Consume(text, DayAfterTomorrow, _ => (today.AddDays(2), today.AddDays(2)), specific, rules, "day");
        text = WeekdayRx.Replace(text, m =>
        {
            var day = Enum.Parse<DayOfWeek>(m.Groups["d"].Value, ignoreCase: true);
            var qualifier = m.Groups["q"].Value;
            var suffix = m.Groups["w"].Value.Trim();
            var offset = ((int)day + 6) % 7;
            if (qualifier == "next" || suffix == "next week")
            {
                specific.Add((NextMonday(today).AddDays(offset), NextMonday(today).AddDays(offset)));
            }
            else if (suffix == "after next")
            {
                specific.Add((NextMonday(today).AddDays(offset + 7), NextMonday(today).AddDays(offset + 7)));
            }
            else if (suffix == "week")
            {
                var date = NextOrSame(today, day).AddDays(7);
                specific.Add((date, date));
            }
            else
            {
                bareWeekdays.Add(day);
            }

            rules.Add($"day '{m.Value.Trim()}'");
            return " zday ";
        });
        text = Consume(text, Tomorrow, _ => (today.AddDays(1), today.AddDays(1)), specific, rules, "day");
        text = Consume(text, Today, _ => (today, today), specific, rules, "day");
        foreach (var (pattern, rule, range) in WeekRules)
        {
            text = Consume(text, pattern, _ => range(today), ranges, rules, rule, quoteRule: false);
        }

        _ = Consume(text, InDays, m =>
        {
            var word = m.Groups["n"].Value;
            var count = word switch
            {
                "a" or "one" => 1,
                "a couple of" or "a couple" or "couple of" => 2,
                "a few" or "few" => 3,
                _ => Int(word),
            };
            if (m.Groups["u"].Value.StartsWith("week", StringComparison.Ordinal))
            {
                var monday = MondayOf(today.AddDays(7 * count));
                return (monday, monday.AddDays(4));
            }

            return word is "a few" or "few" ? (today.AddDays(3), today.AddDays(5)) : (today.AddDays(count), today.AddDays(count));
        }, ranges, rules, "in");

        // A bare weekday falls inside a range said with it ("next week, Tuesday"); alone it is the next one, today included.
        foreach (var day in bareWeekdays)
        {
            var inRange = ranges.SelectMany(r => Enumerable.Range(0, r.To.DayNumber - r.From.DayNumber + 1).Select(r.From.AddDays))
                .Where(d => d.DayOfWeek == day).Order().ToList();
            var date = inRange.Count > 0 ? inRange[0] : NextOrSame(today, day);
            specific.Add((date, date));
        }

        // An explicit date wins over a weekday that disagrees with it ("Tuesday the 17th"); days win over ranges.
        var chosen = dates.Count > 0 ? dates : specific.Count > 0 ? specific : ranges;
        DateOnly? from = chosen.Count > 0 ? chosen.Min(d => d.From) : null;
        DateOnly? to = chosen.Count > 0 ? chosen.Max(d => d.To) : null;
        var window = new TimeWindow(from, to, times?.From, times?.To, times?.Preferred);
        return window.IsEmpty ? (null, string.Empty) : (window, string.Join(" + ", rules));
    }

    private static int Int(string digits) => int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string Consume(string text, Regex pattern, Func<Match, (DateOnly From, DateOnly To)?> read, List<(DateOnly, DateOnly)> days,
        List<string> rules, string label, bool quoteRule = true)
    {
        return pattern.Replace(text, m =>
        {
            if (read(m) is { } range)
            {
                days.Add(range);
                rules.Add(quoteRule ? $"{label} '{m.Value.Trim()}'" : label);
                return " zday ";
            }

            return m.Value;
        });
    }

    private sealed record Times(TimeOnly? From, TimeOnly? To, TimeOnly? Preferred);

    private static (Times? Times, string? Rule) ExtractTimes(ref string text, bool pmContext, bool amContext)
    {
        var source = text;

        // A range ("between 2 and 4", "10-12").
        var range = Range.Match(source);
        while (range.Success)
        {
            var first = Hour(range, 1, pmContext, amContext, out _);
            var second = Hour(range, 2, pmContext, amContext, out _);
            if (first is { } a && second is { } b)
            {
                // "2 to 4pm": the meridiem of the end applies to a bare start that would otherwise come after it.
                if (!range.Groups["ap1"].Success && range.Groups["ap2"].Success && a > b && a.Hour < 12)
                {
                    a = a.AddHours(-12);
                }

                if (a < b && (range.Groups["between"].Success || range.Groups["ap1"].Success || range.Groups["ap2"].Success || range.Groups["m1"].Success
                    || range.Groups["m2"].Success || !range.Value.Contains(" or ", StringComparison.Ordinal)))
                {
                    text = source.Remove(range.Index, range.Length).Insert(range.Index, " ztime ");
                    return (new Times(a, b, null), $"between {Fmt(a)} and {Fmt(b)}");
                }
            }

            range = range.NextMatch();
        }

        TimeOnly? from = null;
        TimeOnly? to = null;
        TimeOnly? preferred = null;
        var rules = new List<string>();

        foreach (var pattern in new[] { After, AfterPostfix })
        {
            if (pattern.Match(source) is { Success: true } after && (WordTime(after, after: true) ?? Hour(after, 1, pmContext, amContext, out _)) is { } afterTime)
            {
                from = from is null || afterTime > from ? afterTime : from;
                rules.Add($"after {Fmt(afterTime)}");
                source = Blank(source, after);
            }
        }

        if (Before.Match(source) is { Success: true } before && (WordTime(before, after: false) ?? Hour(before, 1, pmContext, amContext, out _)) is { } beforeTime)
        {
            to = beforeTime;
            rules.Add($"before {Fmt(beforeTime)}");
            source = Blank(source, before);
        }

        // An exact time ("at 8", "2pm"), alone or inside the after/before bounds.
        {
            foreach (var pattern in new[] { AtTime, ExactTime, DayThenHour })
            {
                var m = pattern.Match(source);
                while (m.Success)
                {
                    var time = m.Groups["word"].Success ? new TimeOnly(12, 0) : Hour(m, 1, pmContext, amContext, out _);
                    if (time is { } exact)
                    {
                        preferred = exact;
                        rules.Add($"time {Fmt(exact)}");
                        source = pattern == DayThenHour
                            ? source.Remove(m.Groups["h1"].Index, m.Groups["h1"].Length).Insert(m.Groups["h1"].Index, " ztime ")
                            : Blank(source, m);
                        break;
                    }

                    m = m.NextMatch();
                }

                if (preferred is not null)
                {
                    break;
                }
            }
        }

        // Named parts of the day: their union, narrowed by after/before.
        TimeOnly? partFrom = null;
        TimeOnly? partTo = null;
        var partOpenEnded = false;
        var partRules = new List<string>();
        var partSource = source;
        foreach (var (pattern, rule, f, t) in NamedParts)
        {
            if (pattern.Match(partSource) is { Success: true } part)
            {
                partFrom = partFrom is null || f < partFrom ? f : partFrom;
                if (t is null)
                {
                    partOpenEnded = true;
                }
                else if (partTo is null || t > partTo)
                {
                    partTo = t;
                }

                partRules.Add(rule);
                partSource = Blank(partSource, part);
            }
        }

        text = source;
        if (preferred is { } p)
        {
            var lower = p.Hour >= 1 ? p.AddHours(-1) : new TimeOnly(0, 0);
            var upper = p.Hour <= 22 ? p.AddHours(1) : new TimeOnly(23, 59);
            if (from is { } afterBound && afterBound <= p)
            {
                lower = afterBound > lower ? afterBound : lower;
            }

            if (to is { } beforeBound && beforeBound > p)
            {
                upper = beforeBound < upper ? beforeBound : upper;
            }

            return (new Times(lower, upper, p), string.Join(" + ", rules));
        }

        if (partFrom is not null)
        {
            var effectiveTo = partOpenEnded ? null : partTo;
            if (from is null || (effectiveTo is null || from < effectiveTo))
            {
                from = from is null || partFrom > from ? partFrom : from;
                to = to is null ? effectiveTo : effectiveTo is null || to < effectiveTo ? to : effectiveTo;
                rules.InsertRange(0, partRules.Select(r => $"time '{r}'"));
            }
        }

        if (from is null && to is null)
        {
            return (null, null);
        }

        if (from is { } f2 && to is { } t2 && f2 >= t2)
        {
            to = null; // "morning after 11:30" that leaves nothing: keep the explicit bound only
        }

        return (new Times(from, to, null), string.Join(" + ", rules));
    }

    private static TimeOnly? WordTime(Match m, bool after)
    {
        if (!m.Groups["word"].Success)
        {
            return null;
        }

        return (m.Groups["word"].Value, after) switch
        {
            ("work", true) => new TimeOnly(17, 0),
            ("work", false) => new TimeOnly(9, 0),
            ("school", true) => new TimeOnly(15, 30),
            ("school", false) => new TimeOnly(8, 30),
            ("lunch", true) => new TimeOnly(13, 0),
            ("lunch", false) => new TimeOnly(12, 0),
            ("dinner", true) => new TimeOnly(19, 0),
            ("noon" or "midday", _) => new TimeOnly(12, 0),
            _ => null,
        };
    }

    private static TimeOnly? Hour(Match m, int n, bool pmContext, bool amContext, out bool explicitMeridiem)
    {
        explicitMeridiem = false;
        var hourGroup = m.Groups[$"h{n}"];
        if (!hourGroup.Success || !int.TryParse(hourGroup.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var hour))
        {
            return null;
        }

        var minute = m.Groups[$"m{n}"].Success ? int.Parse(m.Groups[$"m{n}"].Value, CultureInfo.InvariantCulture) : 0;
        if (minute > 59 || hour > 23)
        {
            return null;
        }

        var meridiem = m.Groups[$"ap{n}"].Success ? m.Groups[$"ap{n}"].Value[0] : (char?)null;
        if (meridiem is not null)
        {
            explicitMeridiem = true;
            if (hour is 0 or > 12)
            {
                return null;
            }

            hour = meridiem == 'p' ? (hour % 12) + 12 : hour % 12;
        }
        else if (hour is >= 1 and <= 11)
        {
            // Clinic hours: 1-6 is the afternoon, 7-11 the morning, unless the message says otherwise.
            if (pmContext && !amContext)
            {
                hour += 12;
            }
            else if (!amContext && hour <= 6)
            {
                hour += 12;
            }
        }
        else if (hour == 0)
        {
            return null;
        }

        return new TimeOnly(hour, minute);
    }

    private static string Blank(string text, Match m) => string.Concat(text.AsSpan(0, m.Index), " ztime ", text.AsSpan(m.Index + m.Length));

    private static string Fmt(TimeOnly time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);

    private static int MonthNumber(string name) => name[..3] switch
    {
        "jan" => 1, "feb" => 2, "mar" => 3, "apr" => 4, "may" => 5, "jun" => 6,
        "jul" => 7, "aug" => 8, "sep" => 9, "oct" => 10, "nov" => 11, _ => 12,
    };

    /// <summary>The next date on or after <paramref name="today"/> with that day (and month when given).</summary>
    private static (DateOnly, DateOnly)? DateFor(DateOnly today, int? month, int day)
    {
        if (day is < 1 or > 31 || month is < 1 or > 12)
        {
            return null;
        }

        for (var i = 0; i < 24; i++)
        {
            var first = new DateOnly(today.Year, today.Month, 1).AddMonths(i);
            if ((month is null || first.Month == month) && day <= DateTime.DaysInMonth(first.Year, first.Month))
            {
                var date = new DateOnly(first.Year, first.Month, day);
                if (date >= today)
                {
                    return (date, date);
                }
            }
        }

        return null;
    }

    private static DateOnly NextOrSame(DateOnly from, DayOfWeek day) => from.AddDays(((int)day - (int)from.DayOfWeek + 7) % 7);

    private static DateOnly MondayOf(DateOnly date) => date.AddDays(-(((int)date.DayOfWeek + 6) % 7));

    private static DateOnly NextMonday(DateOnly today) => MondayOf(today).AddDays(7);

    private static (DateOnly, DateOnly) Weekend(DateOnly today)
    {
        if (today.DayOfWeek == DayOfWeek.Sunday)
        {
            return (today, today);
        }

        var saturday = NextOrSame(today, DayOfWeek.Saturday);
        return (saturday, saturday.AddDays(1));
    }

    private static (DateOnly, DateOnly) EndOfWeek(DateOnly today)
    {
        var monday = MondayOf(today);
        var thursday = monday.AddDays(3);
        var friday = monday.AddDays(4);
        var from = today > thursday ? today : thursday;
        var to = friday >= from ? friday : monday.AddDays(6);
        return (from, to);
    }

    private static Regex Rx(string pattern) => new(pattern, Options);
}
