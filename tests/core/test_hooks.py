"""core.hooks: receivers run in order, once each, errors propagate, answers are collected."""

from __future__ import annotations

import pytest

from core.hooks import Hook


def test_receivers_run_in_the_order_they_registered_with_the_callers_arguments():
    hook = Hook("something_happened")
    calls = []
    hook.register(lambda **kw: calls.append(("first", kw)))
    hook.register(lambda **kw: calls.append(("second", kw)))

    hook(record_id=7)

    assert calls == [("first", {"record_id": 7}), ("second", {"record_id": 7})]


def test_a_receiver_registered_twice_runs_once():
    hook = Hook("something_happened")
    calls = []

    def receiver(**kw):
        calls.append(kw)

    hook.register(receiver)
    hook.register(receiver)
    hook(n=1)

    assert calls == [{"n": 1}]
    assert hook.receivers == (receiver,)


def test_an_error_in_a_receiver_reaches_the_caller_and_stops_the_rest():
    hook = Hook("something_happened")
    later = []

    def refuses(**kw):
        raise RuntimeError("refused")

    hook.register(refuses)
    hook.register(lambda **kw: later.append(kw))

    with pytest.raises(RuntimeError, match="refused"):
        hook(n=1)
    assert later == []


def test_collect_gathers_the_answers_and_leaves_out_none():
    hook = Hook("numbers")
    hook.register(lambda *, value: value * 2)
    hook.register(lambda *, value: None)
    hook.register(lambda *, value: value + 1)

    assert hook.collect(value=5) == [10, 6]
    assert Hook("nobody_listens").collect(value=5) == []
