"""Run the command line as ``python -m kubectl_metax`` (and as the shiv zipapp entry point)."""

from kubectl_metax.cli import main

if __name__ == "__main__":
    main()
