using MissedCallFunctions.Storage;

namespace MissedCallFunctions.Tests.Storage;

public sealed class TableKeysTests
{
    [Theory]
    [InlineData("CA1234567890abcdef")]
    [InlineData("+447400123456")]
    [InlineData("evt-2026-11-26T10:00:00Z")]
    public void Escape_PlainValue_IsUnchanged(string value)
        => Assert.Equal(value, TableKeys.Escape(value));

    [Theory]
    [InlineData("a/b", "a~2fb")]
    [InlineData("a\\b#c?d", "a~5cb~23c~3fd")]
    [InlineData("line\nbreak", "line~0abreak")]
    [InlineData("a~b", "a~7eb")]
    public void Escape_ForbiddenOrEscapeCharacter_IsHexEscaped(string value, string expected)
        => Assert.Equal(expected, TableKeys.Escape(value));

    [Theory]
    [InlineData("x~2fy", "x/y")]
    [InlineData("~7e", "~")]
    [InlineData("a~23", "a#")]
    public void Escape_ValueLookingEscaped_DoesNotCollideWithTheValueItEncodes(string lookalike, string original)
        => Assert.NotEqual(TableKeys.Escape(original), TableKeys.Escape(lookalike));

    [Fact]
    public void Escape_Result_NeverHoldsAForbiddenCharacter()
    {
        var all = new string(Enumerable.Range(0, 0x100).Select(i => (char)i).ToArray());
        var escaped = TableKeys.Escape(all);
        Assert.DoesNotContain(escaped, c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));
    }
}
