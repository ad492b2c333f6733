"""The Helm post-renderer's logic: image rewriting, the Helm 4 cleanup hook, warnings.

``pipeline.run`` is the entry point; ``commands.post_render`` wraps it with
options, stdin, stdout and exit codes. Nothing here makes HTTP calls.
"""
