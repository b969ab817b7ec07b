"""The counting rules on registers worked out by hand: quorum and each majority at its edges,
shares making a premises whole, the sources of decisions."""
from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from meetings.counting import (
    ShareProblem, check_premises, choose_sources, has_quorum, parse_share, passes, tally,
    weights,
)


def test_quorum_is_strictly_more_than_half():
    assert not has_quorum(D("500.00"), D("1000.00"))  # exactly 50 %
    assert has_quorum(D("500.01"), D("1000.00"))  # just above
    assert not has_quorum(D("0.00"), D("0.00"))


def test_more_than_half_of_those_who_voted():
    assert not passes("voted_half", D("300.00"), D("600.00"), D("1000.00"))
    assert passes("voted_half", D("300.01"), D("600.00"), D("1000.00"))


def test_more_than_half_of_all_votes():
    assert not passes("all_half", D("500.00"), D("900.00"), D("1000.00"))
    assert passes("all_half", D("500.01"), D("900.00"), D("1000.00"))


def test_at_least_two_thirds_of_all_votes_is_inclusive():
    # 300 m² of 450: exactly two thirds, which a float (0.6666…) would get wrong either way
    assert passes("all_two_thirds", D("300.00"), D("450.00"), D("450.00"))
    assert not passes("all_two_thirds", D("299.99"), D("450.00"), D("450.00"))
    # 66.67 % of 100 is above two thirds, 66.66 below
    assert passes("all_two_thirds", D("66.67"), D("90"), D("100.00"))
    assert not passes("all_two_thirds", D("66.66"), D("90"), D("100.00"))


def test_shares_of_a_flat_sum_to_its_area():
    assert weights(D("50.00"), [F(1, 3)] * 3) == [D("16.67"), D("16.67"), D("16.66")]
    assert sum(weights(D("50.00"), [F(1, 3)] * 3)) == D("50.00")
    assert weights(D("61.30"), [F(1, 2), F(1, 4), F(1, 4)]) == [D("30.65"), D("15.33"),
                                                                D("15.32")]
    assert weights(D("45.5"), [F(1)]) == [D("45.50")]
    check_premises([F(1, 2), F(1, 4), F(1, 4)])
    with pytest.raises(ShareProblem):
        check_premises([F(1, 2), F(1, 3)])
    with pytest.raises(ShareProblem):
        check_premises([F(1, 2), F(1, 2), F(1, 100)])


def test_shares_are_read_as_fractions_or_decimals():
    assert parse_share("1/2") == parse_share("0,5") == parse_share(" 0.5 ") == F(1, 2)
    assert parse_share("") == F(1)
    for bad in ("0", "3/2", "-1/2", "полдоли", "1/0", "1.5"):
        with pytest.raises(ValueError):
            parse_share(bad)


MEMBERS = [  # (entry, votes, member of the ТСЖ) — 1000 m² in all, 900 of members
    (1, D("250.00"), True), (2, D("250.00"), True), (3, D("100.00"), False),
    (4, D("200.00"), True), (5, D("200.00"), True),
]
REGISTER = [(entry, votes, True) for entry, votes, _m in MEMBERS]  # an owners' meeting
QUESTIONS = [(10, "voted_half"), (11, "all_half"), (12, "all_two_thirds")]


def test_a_meeting_at_exactly_half_has_no_quorum_and_decides_nothing():
    decisions = {1: {10: "for", 11: "for", 12: "for"}, 2: {10: "for", 11: "for", 12: "for"}}
    count = tally(REGISTER, QUESTIONS, decisions)
    assert (count.total, count.turnout, count.quorum) == (D("1000.00"), D("500.00"), False)
    assert [r.passed for r in count.questions] == [False, False, False]


def test_just_above_half_reaches_quorum_and_each_rule_decides_by_its_own_base():
    register = REGISTER + [(6, D("0.01"), True)]  # 1000.01 in all
    decisions = {1: {10: "for", 11: "for", 12: "for"}, 2: {10: "against", 11: "for",
                                                           12: "for"},
                 6: {10: "abstain", 11: "", 12: "for"}}
    count = tally(register, QUESTIONS, decisions)
    assert count.turnout == D("500.01") and count.quorum
    q10, q11, q12 = count.questions
    assert q10.votes == {"for": D("250.00"), "against": D("250.00"), "abstain": D("0.01"),
                         "": D("0.00")}
    assert not q10.passed  # 250 of 500.01 voting is not more than half
    assert not q11.passed  # 500 of 1000.01 is not more than half of all
    assert not q12.passed
    # Σ of each question's options is the turnout, which is Σ of the voters' rows
    for result in count.questions:
        assert sum(result.votes.values()) == count.turnout == sum(
            votes for entry, votes, _m in register if entry in count.voters)


def test_two_thirds_of_all_exactly_and_just_below():
    register = [(1, D("200.00"), True), (2, D("100.00"), True), (3, D("150.00"), True)]
    exactly = tally(register, [(12, "all_two_thirds")], {1: {12: "for"}, 2: {12: "for"},
                                                         3: {12: "against"}})
    assert exactly.total == D("450.00") and exactly.questions[0].passed
    register[1] = (2, D("99.99"), True)
    below = tally(register, [(12, "all_two_thirds")], {1: {12: "for"}, 2: {12: "for"},
                                                       3: {12: "against"}})
    assert not below.questions[0].passed


def test_members_meeting_counts_only_members():
    decisions = {3: {10: "for"}, 4: {10: "for"}, 5: {10: "for"}, 1: {10: "against"}}
    count = tally(REGISTER, [(10, "voted_half")], decisions)
    assert count.total == D("1000.00")  # every entry may vote at an owners' meeting…
    count = tally(MEMBERS, [(10, "voted_half")], decisions)
    assert count.total == D("900.00") and count.turnout == D("650.00")
    assert 3 not in count.voters and count.questions[0].votes["for"] == D("400.00")
    assert count.quorum and count.questions[0].passed


def test_paper_and_online_for_one_entry_is_a_conflict_until_resolved():
    online = {1: {10: "for"}, 2: {10: "for"}}
    paper = {2: {10: "against"}, 3: {10: "abstain"}}
    counted, conflicts = choose_sources(online, paper, set(), {}, online_counts=True)
    assert counted == {1: {10: "for"}, 3: {10: "abstain"}} and conflicts == [2]
    counted, conflicts = choose_sources(online, paper, set(), {2: "paper"}, True)
    assert counted[2] == {10: "against"} and conflicts == []
    counted, _c = choose_sources(online, paper, set(), {2: "online"}, True)
    assert counted[2] == {10: "for"}


def test_online_votes_count_only_when_the_meeting_decided_so_and_spoilt_ballots_never():
    online, paper = {1: {10: "for"}}, {2: {10: "for"}}
    counted, conflicts = choose_sources(online, paper, {3}, {}, online_counts=False)
    assert counted == {2: {10: "for"}} and conflicts == []
    counted, conflicts = choose_sources({3: {10: "for"}}, {}, {3}, {}, online_counts=True)
    assert counted == {} and conflicts == [3]  # a spoilt ballot beside online votes is asked
