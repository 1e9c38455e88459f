import torch

from subtitler.decoding import GreedyState, greedy_decode, greedy_words


def log_probs_for(labels, vocab=5):
    lp = torch.full((len(labels), vocab), -10.0)
    for t, label in enumerate(labels):
        lp[t, label] = -0.01
    return lp


def emitted(labels, cuts):
    state, out, start = GreedyState(), [], 0
    for end in [*cuts, len(labels)]:
        infos, state = greedy_decode(log_probs_for(labels)[start:end], state)
        out += [(i.token.id, i.token.frame) for i in infos if i.token]
        start = end
    return out


def test_collapse_within_a_chunk():
    assert emitted([1, 1, 0, 1, 2, 2, 0, 0, 3], []) == [(1, 0), (1, 3), (2, 4), (3, 8)]


def test_repeat_across_chunk_boundary_is_collapsed():
    labels = [1, 1, 1, 2, 0, 2, 2]
    whole = emitted(labels, [])
    for cuts in ([1], [2], [1, 2], [3, 4], [0, 0, 5, 6]):
        assert emitted(labels, cuts) == whole


def test_blank_between_repeats_keeps_both():
    assert emitted([4, 0, 4], [1, 2]) == [(4, 0), (4, 2)]


def test_empty_chunk_keeps_state():
    state = GreedyState(prev=3, frame=7)
    infos, new = greedy_decode(torch.zeros(0, 5), state)
    assert infos == [] and new == state


def test_greedy_words_split_at_the_space_and_continue_the_state():
    space = 4
    # labels: 1 1 . 2 _ _ . 2 2 _ 3 ; the previous chunk ended on label 1
    words = greedy_words(log_probs_for([1, 1, 0, 2, space, space, 0, 2, 2, space, 3]), GreedyState(1, 10), space)
    assert [[(t.id, t.frame) for t in w] for w in words] == [[(2, 13)], [(2, 17)], [(3, 20)]]
    assert greedy_words(log_probs_for([space, 0]), GreedyState(), space) == []
