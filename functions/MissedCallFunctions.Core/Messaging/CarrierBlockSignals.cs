namespace MissedCallFunctions.Messaging;

/// <summary>Recognizes provider answers that mean "this recipient has blocked this sender" (an opt-out done at the carrier).</summary>
public static class CarrierBlockSignals
{
    /// <summary>ACS wording, in send results and in delivery reports' deliveryStatusDetails.</summary>
    public const string AcsSenderBlocked = "Sender blocked for given recipient";

    /// <summary>Twilio: "Attempt to send to unsubscribed recipient".</summary>
    public const string TwilioUnsubscribedRecipient = "21610";

    public static bool IsCarrierBlock(string? errorMessage, string? errorCode = null)
    {
        if (string.Equals(errorCode?.Trim(), TwilioUnsubscribedRecipient, StringComparison.Ordinal))
        {
            return true;
        }

        return errorMessage is not null
               && (errorMessage.Contains(AcsSenderBlocked, StringComparison.OrdinalIgnoreCase)
                   || errorMessage.Contains("error 21610", StringComparison.OrdinalIgnoreCase)
                   || errorMessage.Contains("code 21610", StringComparison.OrdinalIgnoreCase));
    }
}
