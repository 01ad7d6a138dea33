"""Triton server logs: a fast line parser, a bounded filtered store, a `tail -F` follower and the
cold-start timeline and probe. No Textual imports: the headless commands use this package too."""
