"""pytest fixtures that run kubesim in process.

- ``kubesim``: HTTPS, no actors, admin kubeconfig in tmp_path; stopped after the test.
- ``kubesim_factory``: call with ``tls=..., actors=(...), state=text-or-path``
  (and optionally ``audit=path``) to start more; all are stopped after the test.

Both give a tests.kubesim.instance.KubeSim: ``.url``, ``.kubeconfig``,
``.cluster``, ``.audit``, ``.faults``, ``.load()``, ``.dump()``, ``.get()``,
``.env()``, ``.token_for()``, ``.write_kubeconfig()``, ``.stop()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Sequence, Union

import pytest

from tests.kubesim.instance import KubeSim, build

Factory = Callable[..., KubeSim]


@pytest.fixture
def kubesim_factory(tmp_path: Path) -> Iterator[Factory]:
    started: List[KubeSim] = []

    def start(
        *,
        tls: bool = True,
        actors: Sequence[str] = (),
        state: Optional[Union[str, Path]] = None,
        audit: Optional[Union[str, Path]] = None,
        **_: Any,
    ) -> KubeSim:
        folder = tmp_path / f"kubesim-{len(started)}"
        folder.mkdir()
        sim = build(
            tls=tls,
            actors=actors,
            state_source=state,
            audit_path=audit,
            kubeconfig=folder / "kubeconfig",
            home=folder / "home",
        )
        started.append(sim)
        return sim.start()

    yield start
    for sim in reversed(started):
        sim.stop()


@pytest.fixture
def kubesim(kubesim_factory: Factory) -> KubeSim:
    return kubesim_factory()
