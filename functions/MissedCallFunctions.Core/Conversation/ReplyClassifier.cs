using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MissedCallFunctions.Conversation;

/// <summary>What a patient's text reply asks of us, as far as compliance and safety are concerned.</summary>
public enum ReplyIntent
{
    /// <summary>Stop texting this number (carrier keyword or any reasonable wording).</summary>
    OptOut,

    /// <summary>Resubscribe after an opt-out (START, UNSTOP, SUBSCRIBE, COMENZAR, REANUDAR).</summary>
    OptIn,

    /// <summary>The HELP keyword (HELP, INFO, AYUDA): send the help reply.</summary>
    Help,

    /// <summary>Pain, bleeding, swelling, breathing trouble...: escalate to staff at once and send the urgent reply.</summary>
    Urgent,

    /// <summary>Anything else: an ordinary conversational reply for the clinic's team.</summary>
    Other,
}

/// <summary>The intent of a reply and the rule that decided it, so every decision can be explained.</summary>
/// <param name="Intent">The decided intent.</param>
/// <param name="Rule">Human-readable rule that matched, e.g. <c>keyword STOP</c> or <c>phrase 'stop texting'</c>.</param>
public sealed record ReplyClassification(ReplyIntent Intent, string Rule)
{
    /// <summary>
    /// Set when the message is <see cref="ReplyIntent.Urgent"/> but also asks us to stop texting
    /// (e.g. "stop texting me, my face is swollen"): escalate to staff AND record the opt-out; send the patient
    /// nothing automated beyond what the opt-out rules allow.
    /// </summary>
    public string? AlsoOptOutRule { get; init; }

    public override string ToString() => AlsoOptOutRule is null ? $"{Intent} ({Rule})" : $"{Intent} ({Rule}; also {AlsoOptOutRule})";
}

/// <summary>
/// Deterministic, explainable classification of an inbound SMS reply. Pure: no I/O, no clock.
/// </summary>
/// <remarks>
/// <para>
/// Precedence, first match wins:
/// <list type="number">
/// <item><b>Exact opt-out keyword</b> (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; Spanish PARAR,
/// BASTA, ALTO, CANCELAR, BAJA), alone or with politeness ("stop please", "STOP!!", "Stop 🛑"). Carriers act on
/// these words themselves, so we must mirror them, and a message made only of a keyword cannot carry an urgent
/// case, so putting it first can never hide one.</item>
/// <item><b>Urgent</b> (pain, bleeding, swelling, breathing, knocked-out or broken tooth, allergic reaction,
/// fainting, "urgent", "emergency"; Spanish dolor, sangrado, hinchazón, emergencia, urgente...). A person in
/// trouble may word things like an opt-out ("I can't stop the bleeding", "stop texting and call me, I'm in
/// agony"); missing an emergency is far worse than one extra escalation, so urgency beats natural wording.
/// When the message also contains opt-out wording, <see cref="ReplyClassification.AlsoOptOutRule"/> says so,
/// and the caller records the opt-out as well.</item>
/// <item><b>Natural opt-out wording</b> in English and Spanish ("please stop texting me", "take me off your list",
/// "no me envíen más mensajes", "wrong number"...), as the FCC's 2025 revocation rule requires.</item>
/// <item><b>Help keyword</b> (HELP, INFO, AYUDA), alone or with politeness.</item>
/// <item><b>Opt-in keyword</b> (START, UNSTOP, SUBSCRIBE, COMENZAR, REANUDAR). "YES" is deliberately not an
/// opt-in: it answers booking questions far more often than it asks to resubscribe.</item>
/// <item><b>Other</b>.</item>
/// </list>
/// Help and opt-in are both single keywords, so their order only matters for the explanation.
/// </para>
/// <para>
/// Ambiguous carrier keywords (CANCEL, END, QUIT, ALTO, CANCELAR) count only as the whole message, so "can I
/// cancel my appointment", "when does the offer end" or "alto" inside a sentence are not opt-outs.
/// </para>
/// <para>
/// "Wrong number" is an opt-out: the person never gave consent, the clinic has no relationship with them, and
/// every further automated text would be unwanted. Staff still see the message in the thread.
/// </para>
/// <para>
/// Normalisation: compatibility form (full-width letters), lower case, accents stripped (más → mas,
/// hinchazón → hinchazon), apostrophes of every kind removed (don't / don’t / dont all become "dont"), every
/// other non-letter, non-digit (punctuation, emoji) turned into a space, whitespace collapsed.
/// </para>
/// </remarks>
public static class ReplyClassifier
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Compiled;

    /// <summary>Carrier keywords that opt out even with politeness around them ("stop please").</summary>
    private static readonly Dictionary<string, string> OptOutKeywords = new(StringComparer.Ordinal)
    {
        ["stop"] = "STOP", ["stopall"] = "STOPALL", ["unsubscribe"] = "UNSUBSCRIBE", ["revoke"] = "REVOKE",
        ["optout"] = "OPTOUT", ["parar"] = "PARAR", ["basta"] = "BASTA", ["baja"] = "BAJA",
    };

    /// <summary>Carrier keywords that are ordinary words too: only the whole message counts.</summary>
    private static readonly Dictionary<string, string> StrictOptOutKeywords = new(StringComparer.Ordinal)
    {
        ["cancel"] = "CANCEL", ["end"] = "END", ["quit"] = "QUIT", ["alto"] = "ALTO", ["cancelar"] = "CANCELAR",
    };

    private static readonly Dictionary<string, string> OptInKeywords = new(StringComparer.Ordinal)
    {
        ["start"] = "START", ["unstop"] = "UNSTOP", ["subscribe"] = "SUBSCRIBE", ["comenzar"] = "COMENZAR", ["reanudar"] = "REANUDAR",
    };

    private static readonly Dictionary<string, string> HelpKeywords = new(StringComparer.Ordinal)
    {
        ["help"] = "HELP", ["info"] = "INFO", ["ayuda"] = "AYUDA",
    };

    /// <summary>Politeness that may surround a keyword without changing it.</summary>
    private static readonly HashSet<string> Filler = new(StringComparer.Ordinal)
    {
        "please", "pls", "plz", "plse", "pleas", "thanks", "thank", "you", "thx", "ty", "now", "ok", "okay",
        "again", "por", "favor", "porfavor", "porfa", "gracias", "ya",
    };

    /// <summary>Misspelled opt-out keywords: not carrier keywords, but a reasonable person reads them as STOP.</summary>
    private static readonly Dictionary<string, string> MisspelledOptOut = new(StringComparer.Ordinal)
    {
        ["stpo"] = "stpo", ["sotp"] = "sotp", ["stopp"] = "stopp", ["stoop"] = "stoop", ["stoo"] = "stoo",
        ["unsubcribe"] = "unsubcribe", ["unsuscribe"] = "unsuscribe", ["unsubscibe"] = "unsubscibe",
        ["unsubscrib"] = "unsubscrib", ["unsubsribe"] = "unsubsribe", ["unsubscride"] = "unsubscride",
    };

    // Words that make "stop ..." not a request to us: "don't stop", "I can't stop coughing".
    private const string NotNegated = @"(?<!\b(?:dont|do not|didnt|cant|cannot|can not|couldnt|wont|never|not) )";

    private const string Messages = @"(?:texts?|txts?|text messages?|messages?|msgs?|sms|smss|notifications?|alerts?|reminders?|these|this)";

    private static readonly (Regex Pattern, string Rule)[] NaturalOptOut =
    [
        (Rx(NotNegated + @"\b(?:stop|quit|cease) (?:texting|txting|texing|textin|testing me|messaging|msging|messeging|sending|contacting|emailing|calling|bothering|spamming|harassing)\b"), "phrase 'stop texting'"),
        (Rx(NotNegated + @"\bstop (?:receiving|getting) " + Messages), "phrase 'stop receiving texts'"),
        (Rx(NotNegated + @"\b(?:stop|end|quit|cancel) (?:all )?(?:the |these |those |your |ur |my |this |of )?(?:automated |automatic |text )?(?:texts?|txts?|text messages?|messages?|msgs?|sms|notifications|alerts)\b"), "phrase 'stop these messages'"),
        (Rx(@"^(?:please |pls |plz )?stop (?:it|this|that|now|already|immediately|right now)(?: please| pls| plz| now| already| immediately)*$"), "phrase 'stop it'"),
        (Rx(@"\b(?:dont|do not|dnt|pls dont|never) (?:text|txt|message|msg|sms|contact|email) (?:me|this number|my number|us)\b"), "phrase 'don't text me'"),
        (Rx(@"\b(?:dont|do not|never) (?:send|want) (?:me )?(?:any )?(?:more |further |other )?" + Messages), "phrase 'don't send me messages'"),
        (Rx(@"\bno (?:more|further) " + Messages), "phrase 'no more messages'"),
        (Rx(@"^(?:please |pls |plz )?no more(?: please| pls| plz| thanks| thank you| thx)?$"), "phrase 'no more'"),
        (Rx(@"\b(?:i )?(?:dont|do not) want (?:any |to (?:get|receive) )?(?:more |any more |anymore |further )?(?:of )?(?:these |your |ur )?(?:texts?|txts?|text messages|messages|msgs|sms)\b"), "phrase 'don't want texts'"),
        (Rx(@"\bremove (?:me|my number|this number|my phone|my info|my details)\b(?! from (?:the |your |ur )?(?:wait ?list|waiting list|appointment|schedule|booking|calendar))"), "phrase 'remove me'"),
        (Rx(@"\btake (?:me|my number|this number) off\b"), "phrase 'take me off'"),
        (Rx(@"\b(?:delete|erase|lose) (?:my|this) (?:number|phone number|contact|details)\b"), "phrase 'delete my number'"),
        (Rx(@"\bleave me alone\b"), "phrase 'leave me alone'"),
        (Rx(@"\benough (?:with )?(?:the |these |your |ur |of )?(?:texts?|txts?|text messages|messages|msgs|sms)\b"), "phrase 'enough with the texts'"),
        (Rx(@"\bunsubscribe\b"), "phrase 'unsubscribe'"),
        (Rx(@"\bopt (?:me )?out\b|\boptout\b|\bopting out\b"), "phrase 'opt out'"),
        (Rx(@"\bwrong (?:number|person|phone|no|num|nmber|numbr)\b|\bwrong ?#|\bnot (?:the right|the correct) (?:number|person)\b"), "phrase 'wrong number'"),
        (Rx(@"\blose (?:this|my) number\b"), "phrase 'lose my number'"),
        (Rx(@"\bstop all\b"), "phrase 'stop all'"),
        // Spanish (accents already stripped).
        (Rx(@"\bno (?:me )?(?:envien|envies|envie|manden|mandes|mande|escriban|escribas|escriba|contacten|contactes|molesten|textees|texteen)(?: (?:mas|nada mas|ningun\w*|mensajes|textos|sms)\b|$)|\bya no (?:me )?(?:envien|manden|mandes|envies|escriban|escribas|contacten|molesten)\b|\bno (?:me )?molesten\b"), "phrase 'no me envíen más'"),
        (Rx(@"\b(?:dejen|deja|dejar|deje|paren|para|parar) de (?:escribirme|enviarme|mandarme|molestarme|textearme|contactarme|llamarme|escribir|enviar|mandar)\b"), "phrase 'dejen de escribirme'"),
        (Rx(@"\b(?:darme|darse|dame|denme|deme|me doy|dar|den|demen) de baja(?! (?:medica|laboral|por enfermedad|del trabajo))\b"), "phrase 'darme de baja'"),
        (Rx(@"\bno quiero (?:recibir )?(?:mas |ningun |ningunos |ningunas )?(?:mensajes|mensaje|textos|sms|msjs|msj)\b"), "phrase 'no quiero más mensajes'"),
        (Rx(@"\bno (?:mas|quiero mas) (?:mensajes|textos|sms|msjs)\b"), "phrase 'no más mensajes'"),
        (Rx(@"\b(?:borren|borra|eliminen|elimina|quiten|quita) (?:mi|este) (?:numero|telefono|celular|contacto)\b"), "phrase 'borren mi número'"),
        (Rx(@"\b(?:sacame|saquenme|quitenme|quitame|borrenme|eliminenme|bajenme|bajame) de\b"), "phrase 'sáquenme de la lista'"),
        (Rx(@"\bdejen?me en paz\b"), "phrase 'déjenme en paz'"),
        (Rx(@"\b(?:numero|telefono) equivocado\b|\bse equivocaron de numero\b"), "phrase 'número equivocado'"),
        (Rx(@"\bcancelar (?:la )?suscripcion\b|\bdesuscribir(?:me)?\b"), "phrase 'cancelar suscripción'"),
    ];

    /// <summary>Wording that mentions a symptom without having it; removed before the urgent rules run.</summary>
    private static readonly Regex UrgentNegations = Rx(
        @"\b(?:not|isnt|is not|its not|nothing|no|non|not an?) (?:urgent|an emergency|emergency)\b" +
        @"|\b(?:no|not in|without|zero|any|little|minimal|less) pain\b|\bpain(?:less| free)\b|\bpain relief\b" +
        @"|\b(?:is|will|does|would|did|should|do|can|could) (?:it|this|that|botox|filler|fillers|the \w+|a \w+|getting \w+) (?:be |feel |going to )?(?:hurt|painful|sore|swell|bleed)\b" +
        @"|\bhow (?:painful|much (?:does|will) it hurt)\b" +
        @"|\b(?:no|not|without) (?:bleeding|swelling|fever)\b|\b(?:doesnt|does not|no longer|not) (?:hurt|hurting|swollen|bleeding)(?: anymore| any more)?\b" +
        @"|\bpain (?:is|has) (?:gone|better|fine)\b" +
        @"|\bno es (?:urgente|una emergencia|emergencia)\b|\bnada urgente\b|\b(?:sin|no tengo|no hay|ya no tengo) (?:dolor|sangrado|hinchazon|fiebre)\b|\bya no (?:me )?duele\b" +
        @"|\b(?:duele|dolor(?:oso)?) (?:el|la) (?:tratamiento|procedimiento|botox|limpieza)\b");

    private static readonly (Regex Pattern, string Rule)[] UrgentRules =
    [
        (Rx(@"\b(?:cant|cannot|can not|cnt|cant hardly|unable to|hard to|difficult to|difficulty|trouble|struggling to|problems?|having a hard time) (?:breathe|breath|breathing|breth)\b|\bshort(?:ness)? of breath\b|\bcant swallow\b|\b(?:difficulty|trouble) swallowing\b"), "urgent 'trouble breathing'"),
        (Rx(@"\bchest pains?\b|\bheart attack\b|\bstroke\b|\bseizure\b"), "urgent 'chest pain'"),
        (Rx(@"\b(?:allergic|bad|severe|serious) reaction\b|\banaphyla\w*\b|\breaction to (?:the )?(?:filler|botox|injection|anaesthetic|anesthetic|medicine|numbing)\b"), "urgent 'allergic reaction'"),
        (Rx(@"\bfaint(?:ed|ing|ting)?\b|\bpass(?:ed|ing)? out\b|\bunconscious\b|\bcollapsed\b"), "urgent 'fainting'"),
        (Rx(@"\bble+d(?:ing|s)?\b|\bbleading\b|\bbledding\b|\bbled\b|\bblood (?:everywhere|wont stop|will not stop|keeps)\b|\b(?:lots|lot|so much|spitting|coughing|vomiting|throwing up) (?:of )?blood\b"), "urgent 'bleeding'"),
        (Rx(@"\bswell(?:ing|ed|s)?\b|\bswoll?en\b|\bswolled\b|\bpuffed up\b|\bpuffy\b"), "urgent 'swelling'"),
        (Rx(@"\bknocked (?:out|loose)\b|\b(?:tooth|teeth) (?:fell|came|got knocked|was knocked) out\b|\b(?:broke|broken|cracked|chipped|snapped|lost) (?:my |a |his |her |their |our |the |her front |my front |a front |front )?(?:tooth|teeth|filling|crown)\b|\b(?:tooth|teeth) (?:broke|is broken|broken|cracked|snapped|fell out)\b|\b(?:tooth|teeth) (?:is |are |feels |got |went |now )*(?:loose|wobbly)\b|\bhit (?:in|on) (?:the|my|his|her) (?:mouth|face|jaw|teeth|tooth)\b"), "urgent 'broken or knocked-out tooth'"),
        (Rx(@"\b(?:severe|serious|terrible|horrible|extreme|unbearable|excruciating|really bad|so much|lot of|in) pain\b|\bpain(?:ful)?\b|\bin agony\b|\bagony\b|\btooth ?ache\b|\bexcruciating\b|\bunbearable\b|\bthrobbing\b|\bkilling me\b"), "urgent 'pain'"),
        (Rx(@"\b(?:it|tooth|teeth|mouth|jaw|face|gum|gums|lip|lips|eye|head|ear|cheek) (?:really |so |still |badly )?(?:hurts?|hurting)\b|\bhurts? (?:so|really|a lot|badly|bad)\b|\bhurting\b|\binjur(?:ed|y)\b"), "urgent 'it hurts'"),
        (Rx(@"\bdizz(?:y|iness)\b|\blight ?headed\b|\bvomit\w*\b|\bthrowing up\b|\bnumb(?:ness)?\b|\btingl(?:ing|y|es)\b|\b(?:severe|terrible|worst|awful|bad|really bad) (?:headache|migraine)\b|\bsevere\b"), "urgent 'dizziness, numbness or severe symptom'"),
        (Rx(@"\b(?:blurry|blurred|lost|losing|loss of|no) (?:my )?(?:vision|eyesight)\b|\bcant see\b|\b(?:turning|turned|gone|went|going) (?:white|blue|grey|gray|purple|black)\b"), "urgent 'vision or skin change'"),
        (Rx(@"\b(?:high |running a )?fever\b|\bfeverish\b"), "urgent 'fever'"),
        (Rx(@"\binfect(?:ed|ion)\b|\babscess\b|\bpus\b"), "urgent 'infection'"),
        (Rx(@"\bsuicid\w*\b|\bkill myself\b|\boverdose\b"), "urgent 'self-harm'"),
        (Rx(@"\bemerg[ae]nc(?:y|ies)\b|\bemergancy\b|\bemergenc\b|\b911\b|\b999\b"), "urgent 'emergency'"),
        (Rx(@"\burgent(?:ly)?\b|\basap\b.*\b(?:hurt|hurts|pain)\b|\bright away\b.*\b(?:hurt|hurts|pain)\b"), "urgent 'urgent'"),
        // Spanish (accents already stripped).
        (Rx(@"\bno puedo respirar\b|\b(?:dificultad|problemas?) (?:para|al) respirar\b|\bme ahogo\b|\bno puedo tragar\b"), "urgent 'no puedo respirar'"),
        (Rx(@"\breaccion alergica\b|\balergia fuerte\b"), "urgent 'reacción alérgica'"),
        (Rx(@"\bme desmaye\b|\bdesmay\w*\b"), "urgent 'desmayo'"),
        (Rx(@"\bsangr\w*\b"), "urgent 'sangrado'"),
        (Rx(@"\bhinch\w*\b|\binflamad[oa]s?\b|\binflamacion\b"), "urgent 'hinchazón'"),
        (Rx(@"\bdolor\w*\b|\bduele\b|\bduelen\b|\bmuela\w* (?:me )?(?:mata|duele)\b"), "urgent 'dolor'"),
        (Rx(@"\b(?:diente|muela|dientes|muelas) (?:roto|rota|rotos|partido|partida|quebrado|quebrada)\b|\bse me (?:rompio|cayo|partio|quebro) (?:un |el |la |una )?(?:diente|muela)\b"), "urgent 'diente roto'"),
        (Rx(@"\bfiebre\b|\binfeccion\b|\binfectad[oa]\b|\babsceso\b"), "urgent 'fiebre o infección'"),
        (Rx(@"\bemergencia\b|\burgencia\b|\burgente\b"), "urgent 'emergencia'"),
    ];

    public static ReplyClassification Classify(string? message)
    {
        var text = Normalize(message);
        if (text.Length == 0)
        {
            return new(ReplyIntent.Other, "empty message");
        }

        var tokens = text.Split(' ');

        if (MatchKeyword(tokens, OptOutKeywords, StrictOptOutKeywords) is { } optOutKeyword)
        {
            return new(ReplyIntent.OptOut, optOutKeyword);
        }

        var naturalOptOut = MatchNaturalOptOut(message!, text, tokens);

        var urgentText = UrgentNegations.Replace(text, " ");
        foreach (var (pattern, rule) in UrgentRules)
        {
            if (pattern.IsMatch(urgentText))
            {
                return new(ReplyIntent.Urgent, rule) { AlsoOptOutRule = naturalOptOut };
            }
        }

        if (naturalOptOut is not null)
        {
            return new(ReplyIntent.OptOut, naturalOptOut);
        }

        if (MatchKeyword(tokens, HelpKeywords, null) is { } help)
        {
            return new(ReplyIntent.Help, help);
        }

        if (MatchKeyword(tokens, OptInKeywords, null) is { } optIn)
        {
            return new(ReplyIntent.OptIn, optIn);
        }

        return new(ReplyIntent.Other, "no rule matched");
    }

    /// <summary>The form every rule matches against: lower case, no accents, no apostrophes, words separated by one space.</summary>
    public static string Normalize(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return string.Empty;
        }

        var decomposed = message.Normalize(NormalizationForm.FormKD).ToLowerInvariant();
        var builder = new StringBuilder(decomposed.Length);
        var pendingSpace = false;
        foreach (var rune in decomposed.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.Format)
            {
                continue; // accents, emoji modifiers, zero-width joiners
            }

            if (IsApostrophe(rune.Value))
            {
                continue; // don't, don’t and dont all read "dont"
            }

            if (Rune.IsLetterOrDigit(rune) || rune.Value == '#')
            {
                if (pendingSpace && builder.Length > 0)
                {
                    builder.Append(' ');
                }

                pendingSpace = false;
                builder.Append(Rune.ToLowerInvariant(rune).ToString());
            }
            else
            {
                pendingSpace = true;
            }
        }

        return builder.ToString();
    }

    private static bool IsApostrophe(int c) => c is '\'' or '\u2019' or '\u2018' or '\u02BC' or '`' or '\u00B4' or '\u2032' or '\uFF07';

    private static string? MatchKeyword(string[] tokens, Dictionary<string, string> keywords, Dictionary<string, string>? strictKeywords)
    {
        if (tokens.Length == 1 && strictKeywords is not null && strictKeywords.TryGetValue(tokens[0], out var strict))
        {
            return $"keyword {strict}";
        }

        var core = tokens.Where(t => !Filler.Contains(t)).ToArray();
        if (core.Length == 0)
        {
            return null;
        }

        var extra = core.Length == tokens.Length ? string.Empty : " with politeness";

        // "stop", "STOP STOP", "stop please".
        if (core.All(t => t == core[0]) && keywords.TryGetValue(core[0], out var keyword))
        {
            return $"keyword {keyword}{extra}";
        }

        // "stop all", "opt-out", "un subscribe".
        if (core.Length <= 3 && keywords.TryGetValue(string.Concat(core), out var joined))
        {
            return $"keyword {joined}{extra}";
        }

        return null;
    }

    private static string? MatchNaturalOptOut(string original, string text, string[] tokens)
    {
        foreach (var (pattern, rule) in NaturalOptOut)
        {
            if (pattern.IsMatch(text))
            {
                return rule;
            }
        }

        var core = tokens.Where(t => !Filler.Contains(t)).ToArray();
        if (core.Length == 1 && MisspelledOptOut.ContainsKey(core[0]))
        {
            return $"misspelled keyword '{core[0]}'";
        }

        // "STOP. Who is this?", "Wrong person sorry. Stop": a sentence of its own that is an opt-out keyword.
        var sentences = original.Split(['.', '!', '?', ';', ',', '\n', '\r', ':'], StringSplitOptions.RemoveEmptyEntries);
        if (sentences.Length > 1)
        {
            foreach (var sentence in sentences)
            {
                var sentenceTokens = Normalize(sentence).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (sentenceTokens.Length > 0 && MatchKeyword(sentenceTokens, OptOutKeywords, null) is { } keyword)
                {
                    return $"sentence '{keyword["keyword ".Length..].Replace(" with politeness", string.Empty, StringComparison.Ordinal)}'";
                }
            }
        }

        return null;
    }

    private static Regex Rx(string pattern) => new(pattern, Options);
}
