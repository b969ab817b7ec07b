"""A meeting's count from its rows: which decisions count for each entry, and the tally."""
from dataclasses import dataclass

from meetings.counting import Count, choose_sources, tally
from meetings.models import PaperBallot, RegisterEntry, Vote


@dataclass
class MeetingCount:
    count: Count
    entries: dict  # id -> RegisterEntry
    questions: list  # Question, in order
    counted: dict  # entry id -> {question id: decision}
    conflicts: list  # RegisterEntry whose online and paper answers wait for the office
    ballots: int  # paper ballots entered
    spoilt: int
    paper_ids: set  # entries with a paper ballot that is not spoilt

    def result_of(self, question):
        return next(r for r in self.count.questions if r.question_id == question.id)


def decisions_by_source(meeting):
    """({entry id: {question id: decision}} online, the same on paper)."""
    online, paper = {}, {}
    votes = (Vote.select(Vote.entry, Vote.question, Vote.source, Vote.decision)
             .join(RegisterEntry).where(RegisterEntry.meeting == meeting))
    for vote in votes:
        side = online if vote.source == "online" else paper
        side.setdefault(vote.entry_id, {})[vote.question_id] = vote.decision
    return online, paper


def count_meeting(meeting):
    entries = {e.id: e for e in meeting.ordered_entries()}
    questions = list(meeting.ordered_questions())
    online, paper = decisions_by_source(meeting)
    ballots = list(PaperBallot.select().join(RegisterEntry)
                   .where(RegisterEntry.meeting == meeting))
    spoilt = {b.entry_id for b in ballots if b.spoilt}
    for ballot in ballots:  # a ballot with every answer blank is still a ballot returned
        if not ballot.spoilt:
            paper.setdefault(ballot.entry_id, {})
    resolved = {e.id: e.counted_source for e in entries.values() if e.counted_source}
    counted, conflicts = choose_sources(online, paper, spoilt, resolved, meeting.online_counts)
    members_only = meeting.kind == "members"
    count = tally([(e.id, e.votes, e.member or not members_only) for e in entries.values()],
                  [(q.id, q.majority) for q in questions], counted)
    return MeetingCount(count, entries, questions, counted,
                        [entries[i] for i in conflicts], len(ballots), len(spoilt),
                        set(paper))


def own_decisions(entry):
    """{question id: decision} the entry gave online."""
    return {v.question_id: v.decision
            for v in Vote.select().where(Vote.entry == entry, Vote.source == "online")}

