"""General meetings of owners and of ТСЖ members: the agenda, the register of owners, online
and paper votes weighted by area, quorum, the ballots and the protocol. Domkom prepares,
collects and counts; the board stays responsible for the legal procedure."""
