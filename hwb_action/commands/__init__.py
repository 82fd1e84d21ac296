"""The commands: one module per command, each ``run(invocation) -> CommandResult``.

A command resolves its options once, calls the library, and is the only layer that sets CI
outputs and summary text.  The library beneath never prints, exits or reads ``os.environ``.
"""
