"""What the editor's views may ask of its state: small frozen intent records, one per action.

A view (canvas, settings panel, test-run panel, versions, save/publish bar) never changes the
editor's state itself; it calls the ``emit`` it was given with one of these, and
:meth:`ui.editor_state.EditorState.apply` makes the change and tells every subscribed view what
changed. No NiceGUI here.

Editing intents (``AddNode`` ... ``Paste``) are ignored while a version, not the draft, is on the
canvas. ``on_canvas=True`` on an intent says the canvas already shows the change (the user made
it there), so the canvas is not told again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# editing the draft --------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectNode:
    node: str | None  # None: the workflow itself (no node)
    on_canvas: bool = False


@dataclass(frozen=True)
class AddNode:
    type: str
    position: dict[str, float]
    parent: str | None = None  # dropped inside this loop's frame


@dataclass(frozen=True)
class Move:
    positions: dict[str, dict[str, float]]  # node id -> {x, y} (absolute); always from the canvas
    parents: dict[str, str | None] = field(default_factory=dict)  # node id -> the loop it went into, or None: out
    stages: dict[str, str | None] = field(default_factory=dict)  # node id -> the stage it went into, or None: out


@dataclass(frozen=True)
class GroupStage:
    """Group nodes as a stage (a labelled frame; the document's ``stages``)."""

    nodes: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class RenameStage:
    stage: str
    label: str


@dataclass(frozen=True)
class RemoveStage:
    """Ungroup a stage; its nodes stay."""

    stage: str


@dataclass(frozen=True)
class Connect:
    source: str
    target: str
    source_port: str | None = None
    target_port: str | None = None  # always drawn on the canvas


@dataclass(frozen=True)
class Unwire:
    """Remove the wire feeding a node's input port: its config field gets its editor back."""

    node: str
    port: str


@dataclass(frozen=True)
class DependOn:
    """Make ``upstream`` upstream of ``node`` with an order edge (a port-less edge), unless it
    already is (a variable of it was picked in ``node``'s form)."""

    node: str
    upstream: str


@dataclass(frozen=True)
class AddConnected:
    """Add a node already wired: after ``upstream`` (node, output port), before ``downstream``
    (node, input port), or into the edge between both (a port None: an order edge). From the
    node picker of a wire dropped on empty canvas, or a "+" on a port or an edge. ``room``: into
    an edge, the room (width and gap) the new node needs on its right: what is downstream of the
    edge's target moves right as far as that takes."""

    type: str
    position: dict[str, float]
    upstream: tuple[str, str | None] | None = None
    downstream: tuple[str, str | None] | None = None
    parent: str | None = None
    room: float = 0.0


@dataclass(frozen=True)
class Delete:
    """Remove nodes (with their edges) and edges (given as ``{source, source_port, target,
    target_port}`` records, like the canvas sends them)."""

    nodes: tuple[str, ...] = ()
    edges: tuple[dict[str, Any], ...] = ()
    on_canvas: bool = False


@dataclass(frozen=True)
class UpdateConfig:
    node: str
    key: str
    value: Any  # None removes the key


@dataclass(frozen=True)
class SetLabel:
    node: str
    label: str


@dataclass(frozen=True)
class SetMeta:
    """A workflow-level field: ``name``, ``description`` or ``settings``."""

    key: str
    value: Any


@dataclass(frozen=True)
class Paste:
    clip: dict[str, Any]
    position: dict[str, float] | None = None


@dataclass(frozen=True)
class SetPin:
    """Pin a node's outputs as test data (the editor's test runs do not execute it; its outputs
    flow downstream), or unpin it (``outputs`` None). Saved with the draft as its ``pins``."""

    node: str
    outputs: dict[str, Any] | None


@dataclass(frozen=True)
class AddNote:
    """A new, empty sticky note at ``position`` (flow coordinates)."""

    position: dict[str, float]
    text: str = ""


@dataclass(frozen=True)
class EditNote:
    """A note's text, position or size changed on the canvas (the fields given)."""

    note: str
    text: str | None = None
    position: dict[str, float] | None = None
    size: dict[str, float] | None = None


@dataclass(frozen=True)
class RemoveNote:
    note: str
    on_canvas: bool = False


@dataclass(frozen=True)
class AutoLayout:
    """The canvas laid the graph out (left to right): node id -> absolute position, note id ->
    position. One undo step; the canvas already shows it."""

    positions: dict[str, dict[str, float]]
    notes: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Undo:
    pass


@dataclass(frozen=True)
class Redo:
    pass


@dataclass(frozen=True)
class Restore:
    """Put a version's document in the draft (undoable) and show the draft."""

    document: dict[str, Any]


# what is on the canvas ----------------------------------------------------------------------


@dataclass(frozen=True)
class ShowVersion:
    """A version (``mode="view"``) or a comparison (``mode="diff"``) on the canvas, read-only.
    ``view`` is the canvas graph to show (decorated with the diff); ``label`` the version number
    or the pair compared."""

    mode: str
    document: dict[str, Any]
    label: Any
    view: dict[str, Any]


@dataclass(frozen=True)
class ShowDraft:
    pass


# versions and validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    version: int  # the draft is now this version


@dataclass(frozen=True)
class Published:
    version: int


@dataclass(frozen=True)
class Unpublished:
    """No version is published any more."""


@dataclass(frozen=True)
class Rebase:
    """Base the draft on another version (the user chose to save over a newer one)."""

    version: int


@dataclass(frozen=True)
class Discard:
    """Drop the unsaved edits' claim (the page is about to reload the saved workflow)."""


@dataclass(frozen=True)
class Recover:
    """Open with a draft an editor kept (autosaved) and did not save: its edits over the saved version
    (undoable), and say since when."""

    document: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class DraftKept:
    """The draft ``document`` was kept (autosaved, not a version) at ``at``."""

    document: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class DiscardRecovered:
    """Drop the recovered edits: the draft is version ``version`` (``document``) again."""

    document: dict[str, Any]
    version: int


@dataclass(frozen=True)
class Validate:
    pass


@dataclass(frozen=True)
class ReportIssues:
    """Validation issues found elsewhere (a save, publish or test run refused the graph)."""

    issues: tuple[dict[str, Any], ...]


# a test run's progress, shown on the nodes ----------------------------------------------------


@dataclass(frozen=True)
class RunCleared:
    pass


@dataclass(frozen=True)
class RunProgress:
    """Node id -> ``{status, statusText, error}`` (the fields given replace the old ones)."""

    patches: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunStages:
    """Stage id -> ``{status, progress}`` (pending / running / completed / failed, a fraction 0..1)."""

    stages: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunLoaded:
    """The run whose results the editor shows (a test run that ended, or a past run loaded onto
    the canvas): its id and each node's outputs, what "Run from here" and the sample values of
    "Run this node" start from."""

    run_id: str
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunStream:
    """Node id -> streamed text to append."""

    chunks: dict[str, str] = field(default_factory=dict)


Intent = (
    SelectNode
    | AddNode
    | Move
    | Connect
    | Unwire
    | DependOn
    | AddConnected
    | Delete
    | UpdateConfig
    | SetLabel
    | SetMeta
    | Paste
    | SetPin
    | AddNote
    | EditNote
    | RemoveNote
    | AutoLayout
    | GroupStage
    | RenameStage
    | RemoveStage
    | Undo
    | Redo
    | Restore
    | ShowVersion
    | ShowDraft
    | Saved
    | Published
    | Unpublished
    | Rebase
    | Discard
    | Recover
    | DraftKept
    | DiscardRecovered
    | Validate
    | ReportIssues
    | RunCleared
    | RunProgress
    | RunStream
    | RunStages
    | RunLoaded
)
EDITING = (
    AddNode,
    Move,
    Connect,
    Unwire,
    DependOn,
    AddConnected,
    Delete,
    UpdateConfig,
    SetLabel,
    SetMeta,
    Paste,
    SetPin,
    AddNote,
    EditNote,
    RemoveNote,
    AutoLayout,
    GroupStage,
    RenameStage,
    RemoveStage,
    Undo,
    Redo,
)

Emit = Callable[[Intent], None]
