"""The counting rules of a meeting, as pure functions over plain figures.

Votes are square metres (Decimal, two places); every comparison with a half or two thirds is
made on whole multiples (2·x > total, 3·x ≥ 2·total), never on floats, so that exactly 50 %
is not "more than half" and exactly two thirds is "at least two thirds".
"""
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class ShareProblem(ValueError):
    """The shares of one premises do not make it whole; str() is the message."""


def parse_share(text):
    """'1/2', '0,5', '1' -> Fraction; ValueError for anything else or outside (0, 1]."""
    cleaned = str(text).strip().replace(",", ".").replace(" ", "")
    if not cleaned:
        return Fraction(1)
    try:
        share = Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        raise ValueError(cleaned) from None
    if not 0 < share <= 1 or share.denominator > 10**6:
        raise ValueError(cleaned)
    return share


def weights(area, shares):
    """The votes of the owners of one premises: share × area to the hundredth of a m², the
    hundredths rounding leaves over given to the largest remainders (the first on a tie), so
    that they add up to the area exactly: 1/3 of 50,00 m² is 16,67 + 16,67 + 16,66."""
    cents = int(Decimal(area).quantize(CENT) * 100)
    exact = [Fraction(share) * cents for share in shares]
    floors = [math.floor(x) for x in exact]
    spare = round(sum(exact, Fraction(0))) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[:spare]:
        floors[i] += 1
    return [(Decimal(c) * CENT).quantize(CENT) for c in floors]


def check_premises(shares):
    """ShareProblem unless the shares of one premises sum to exactly one."""
    total = sum(shares, Fraction(0))
    if total != 1:
        raise ShareProblem(total)


def more_than_half(part, whole):
    return 2 * part > whole


def at_least_two_thirds(part, whole):
    return 3 * part >= 2 * whole


def has_quorum(turnout, total):
    """ст. 45 ч. 3: owners with more than 50 % of all votes took part."""
    return total > 0 and more_than_half(turnout, total)


def passes(majority, votes_for, turnout, total):
    """Whether a question's «за» reaches the majority its legal basis asks for (ст. 46 ч. 1)."""
    if majority == "voted_half":
        return more_than_half(votes_for, turnout)
    if majority == "all_half":
        return more_than_half(votes_for, total)
    if majority == "all_two_thirds":
        return at_least_two_thirds(votes_for, total)
    raise ValueError(majority)


def percent(part, whole):
    return (Decimal(part) * 100 / whole).quantize(CENT) if whole else ZERO


@dataclass
class QuestionResult:
    question_id: int
    majority: str
    votes: dict = field(default_factory=lambda: {"for": ZERO, "against": ZERO,
                                                 "abstain": ZERO, "": ZERO})
    passed: bool = False

    def base(self, count):
        """What the question's percentages are of: those who voted, or all votes."""
        return count.turnout if self.majority == "voted_half" else count.total

    def share(self, decision, count):
        return percent(self.votes[decision], self.base(count))


@dataclass
class Count:
    total: Decimal
    turnout: Decimal
    quorum: bool
    questions: list
    voters: list  # entry ids whose decisions counted

    @property
    def turnout_percent(self):
        return percent(self.turnout, self.total)


def tally(entries, questions, decisions):
    """The count of a meeting.

    entries: [(entry id, votes, may vote)] — of a ТСЖ members' meeting only members may;
    questions: [(question id, majority)];
    decisions: {entry id: {question id: "for" | "against" | "abstain" | ""}} — the one
    source that counts for each entry (see choose_sources); an entry that voted on some
    questions only counts for no option on the others.
    """
    eligible = {entry_id: votes for entry_id, votes, may in entries if may}
    total = sum(eligible.values(), ZERO)
    voters = [entry_id for entry_id in eligible if entry_id in decisions]
    turnout = sum((eligible[entry_id] for entry_id in voters), ZERO)
    quorum = has_quorum(turnout, total)
    results = []
    for question_id, majority in questions:
        result = QuestionResult(question_id, majority)
        for entry_id in voters:
            decision = decisions[entry_id].get(question_id, "")
            result.votes[decision if decision in result.votes else ""] += eligible[entry_id]
        result.passed = quorum and passes(majority, result.votes["for"], turnout, total)
        results.append(result)
    return Count(total, turnout, quorum, results, voters)


def choose_sources(online, paper, spoilt, resolved, online_counts):
    """({entry id: decisions that count}, [entry ids in conflict]).

    online, paper: {entry id: {question id: decision}}; spoilt: entry ids whose paper ballot
    is spoilt; resolved: {entry id: "online" | "paper"} chosen by the office. Online votes
    count only when the meeting decided so (ст. 47.1). An entry with a paper ballot and
    online votes is a conflict until the office chooses: neither counts silently.
    """
    online = online if online_counts else {}
    counted, conflicts = {}, []
    for entry_id in set(online) | set(paper) | set(spoilt):
        has_online, has_paper = entry_id in online, entry_id in paper or entry_id in spoilt
        source = resolved.get(entry_id) if has_online and has_paper else \
            "online" if has_online else "paper"
        if source is None:
            conflicts.append(entry_id)
        elif source == "online" and has_online:
            counted[entry_id] = online[entry_id]
        elif source == "paper" and entry_id in paper and entry_id not in spoilt:
            counted[entry_id] = paper[entry_id]
    return counted, sorted(conflicts)
