"""The masker: secrets in text become ***, and a long-lived process keeps a bounded set."""


def test_a_masker_keeps_the_most_recent_secrets_up_to_its_limit():
    from cluster.security.masking import Masker

    masker = Masker(limit=3)
    for value in ("alpha-1", "bravo-2", "charlie-3"):
        masker.add(value)
    masker.add("alpha-1")            # used again: now the most recent
    masker.add("delta-4")            # over the limit: bravo-2, the least recent, goes
    assert masker("alpha-1 bravo-2 charlie-3 delta-4") == "*** bravo-2 *** ***"
    masker.add("alpha-1-and-more")   # the longer secret is masked whole, not in part
    assert masker("alpha-1-and-more") == "***"
