"""Run against the installed wheel: python tests/test_add.py or pytest."""

import cext_simple


def test_add() -> None:
    assert cext_simple.add(2, 3) == 5


if __name__ == "__main__":
    test_add()
    print("cext_simple OK:", cext_simple.add(2, 3))
