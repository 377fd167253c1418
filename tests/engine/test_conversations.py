"""Conversation numbers: never reused, shared by the two ends of one connection."""

from __future__ import annotations

from netlab.core.conversations import key_of, meet, name_of, new_number, tcp_key, udp_key
from netlab.core.events import Data, Direction


def test_numbers_never_repeat() -> None:
    numbers = [new_number() for _ in range(100)]
    assert len(set(numbers)) == 100


def test_both_ends_meet_on_one_number_and_a_reused_pair_is_a_new_connection() -> None:
    client = meet("127.0.0.1:50001", "127.0.0.1:9000", 4242)
    assert client == 4242
    assert meet("127.0.0.1:9000", "127.0.0.1:50001") == 4242  # the server joins
    again = meet("127.0.0.1:9000", "127.0.0.1:50001")  # same pair after both met: a new connection
    assert again != 4242
    assert meet("127.0.0.1:50001", "127.0.0.1:9000", 7) == again  # its client joins it
    lone = meet("10.0.0.1:1", "127.0.0.1:2")
    assert meet("10.0.0.1:1", "127.0.0.1:2") != lone  # the same end twice: the pair was reused


def test_keys_and_names() -> None:
    tcp = Data(
        source="server",
        conn=3,
        peer="127.0.0.1:5",
        conversation=tcp_key(17),
        direction=Direction.SENT,
        data=b"",
    )
    udp = Data(
        source="receiver",
        conn=1,
        peer="127.0.0.1:6",
        conversation=udp_key("127.0.0.1:6"),
        direction=Direction.SENT,
        data=b"",
    )
    bare = Data(source="server", conn=2, peer="x:1", direction=Direction.SENT, data=b"")
    assert [key_of(e) for e in (tcp, udp, bare)] == ["#17", "udp 127.0.0.1:6", "server #2"]
    assert [name_of(e) for e in (tcp, udp, bare)] == ["#17 127.0.0.1:5", "127.0.0.1:6", "#2 x:1"]
