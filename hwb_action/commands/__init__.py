"""The commands: one module per command, each ``run(invocation) -> CommandResult``.

A command resolves its options once, calls the library, and is the only layer that sets CI
outputs and summary text.  The library beneath never prints, exits or reads ``os.environ``.

``context``  the project a command works on (source, tree, one parsed pyproject.toml)
``plan``     the build matrix                      -> output ``matrix``
``check``    check distributions                   -> summary table, annotations
``publish``  check and upload distributions        -> output ``published``, summary table
``version``  the next version (dry run)            -> outputs ``version``, ``previous-version``,
``release``  write, commit, tag (and push) it         ``tag``, ``release-notes``; summary
"""
