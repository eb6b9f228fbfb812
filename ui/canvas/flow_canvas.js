// The FlowAI canvas: Vue Flow (vendored) inside a NiceGUI element.
//
// The server owns the draft. The browser sends *intents* as small deltas (a node added, nodes
// moved, an edge connected, elements removed, undo, copy...) and the server answers with
// run_method calls (addNodes, updateNode, setGraph...). Everything user-provided is shown with
// {{ }} interpolation, never v-html.
//
// The canvas lives in a shadow root (its own small Vue app): the page's Tailwind runtime rewrites
// its stylesheet on every class change in the document, which would restyle and re-lay-out all
// of a 200-node graph each time; inside a shadow root the graph is out of that stylesheet's
// reach, and Vue Flow's own class changes (selected, dragging) do not trigger those rewrites.
import { createApp, markRaw, nextTick } from "vue";
import { VueFlow, Handle, Position, useVueFlow, useNodeId, BaseEdge, EdgeLabelRenderer, getBezierPath } from "@vue-flow/core";
import { Background } from "@vue-flow/background";
import { Controls } from "@vue-flow/controls";
import { MiniMap } from "@vue-flow/minimap";

const CSS = ["core/style.css", "core/theme-default.css", "controls/style.css", "minimap/style.css"];

function loadCss(root, base) {
  return Promise.all(CSS.map((file) => new Promise((resolve) => {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = `${base}/${file}`;
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", resolve, { once: true });
    root.appendChild(link);
  })));
}

const frames = (n) => new Promise((resolve) => {
  const step = (k) => (k <= 0 ? resolve() : requestAnimationFrame(() => step(k - 1)));
  step(n);
});

// A node's input handles (left column) and output handles (right column): shared by plain nodes
// and loop frames.
const PortColumns = markRaw({
  props: ["inputs", "outputs", "extra"],
  components: { Handle },
  inject: { wire: { from: "faWire", default: null } },
  setup() {
    return { Position, nodeId: useNodeId() };
  },
  template: `
      <div :class="['fa-ports', extra || '']">
        <div class="fa-col">
          <div v-for="p in inputs" :key="'i' + p.name" class="fa-port fa-port-in">
            <Handle type="target" :id="p.name" :position="Position.Left" :class="'fa-h fa-t-' + p.type"
                    :title="(p.label || p.name) + ': ' + (p.typeLabel || p.type)" />
            <span class="fa-pname">{{ p.label || p.name }}</span><span class="fa-ptype">{{ p.typeLabel || p.type }}</span>
          </div>
        </div>
        <div class="fa-col fa-col-out">
          <div v-for="p in outputs" :key="'o' + p.name" class="fa-port fa-port-out">
            <span class="fa-ptype">{{ p.typeLabel || p.type }}</span><span class="fa-pname">{{ p.label || p.name }}</span>
            <Handle type="source" :id="p.name" :position="Position.Right" :class="'fa-h fa-t-' + p.type"
                    :title="(p.label || p.name) + ': ' + (p.typeLabel || p.type)" />
            <button v-if="wire && !wire.locked" class="fa-plus fa-port-plus nodrag nopan" type="button"
                    :data-testid="'plus-' + nodeId + '-' + p.name" :title="wire.say('plus_port')"
                    @click.stop="wire.pickAfterPort(nodeId, p.name, $event)">+</button>
          </div>
        </div>
      </div>
  `,
});

const FlowNode = markRaw({
  props: ["id", "data", "selected"],
  inheritAttrs: false,
  components: { PortColumns, Handle },
  inject: { wire: { from: "faWire", default: null } },
  setup() {
    return { Position };
  },
  computed: {
    classes() {
      const d = this.data;
      return [
        "fa-node",
        "fa-group-" + (d.group || "other"),
        d.status ? "fa-st-" + d.status : "",
        d.issues && d.issues.length ? "fa-invalid" : "",
        !(d.issues && d.issues.length) && d.warnings && d.warnings.length ? "fa-warned" : "",
        d.diff ? "fa-diff-" + d.diff : "",
        d.readonly ? "fa-readonly" : "",
      ];
    },
  },
  template: `
    <div :class="classes" :data-testid="'node-' + id" :data-type="data.ntype" :data-status="data.status || ''"
         :data-diff="data.diff || ''" :data-invalid="data.issues && data.issues.length ? 'true' : 'false'"
         :data-warned="data.warnings && data.warnings.length ? 'true' : 'false'">
      <div class="fa-head">
        <Handle v-if="data.ntype !== 'input'" type="target" :position="Position.Left" class="fa-h fa-order fa-order-in"
                :title="wire ? wire.say('order_in') : ''" />
        <Handle v-if="data.ntype !== 'output'" type="source" :position="Position.Right" class="fa-h fa-order fa-order-out"
                :title="wire ? wire.say('order_out') : ''" />
        <span class="fa-label" data-role="label">{{ data.label || id }}</span>
        <span class="fa-type">{{ data.title }}</span>
        <span v-if="data.pinned" class="fa-pin" data-role="pin" :title="data.pinned"><svg viewBox="0 0 24 24"
          width="12" height="12"><path fill="currentColor" d="M16 9V4h1a1 1 0 0 0 0-2H7a1 1 0 0 0 0 2h1v5a3 3 0 0 1-3
          3v2h5.97v7l1 1 1-1v-7H19v-2a3 3 0 0 1-3-3z"/></svg></span>
        <span v-if="(data.issues || []).length || (data.warnings || []).length" data-role="badge"
              :class="'fa-badge ' + ((data.issues || []).length ? 'fa-badge-error' : 'fa-badge-warning')"
              :title="[...(data.issues || []), ...(data.warnings || [])].join(' · ')">
          {{ (data.issues || []).length + (data.warnings || []).length }}</span>
        <span v-if="data.status === 'running'" class="fa-spinner" data-role="spinner"></span>
        <span v-if="data.status" class="fa-status" data-role="status">{{ data.statusText }}</span>
      </div>
      <PortColumns :inputs="data.inputs" :outputs="data.outputs" />
      <div v-if="data.summary" class="fa-summary" data-role="summary">{{ data.summary }}</div>
      <div v-if="data.stream || data.error || (data.issues && data.issues.length) || (data.warnings && data.warnings.length)"
           :class="['fa-results', open ? 'fa-open nowheel' : '']" data-role="results" :data-open="open ? 'true' : 'false'"
           :title="open ? '' : data.expandText" @click="open = !open">
        <div v-if="data.stream" class="fa-stream" data-role="stream">{{ data.stream }}</div>
        <div v-if="data.error" class="fa-error" data-role="error">{{ data.error }}</div>
        <div v-for="(m, i) in (data.issues || [])" :key="'x' + i" class="fa-issue" data-role="issue">{{ m }}</div>
        <div v-for="(m, i) in (data.warnings || [])" :key="'w' + i" class="fa-warning" data-role="warning">{{ m }}</div>
      </div>
      <div v-if="data.changes && data.changes.length" class="fa-changes" data-role="changes">{{ data.changes.join(', ') }}</div>
    </div>`,
  data() {
    return { open: false }; // results (streamed text, an error, problems) collapsed to a few lines
  },
});

// A loop: a labelled container. Its own ports (items in; results, errors, count out) sit on the
// frame's outside edges, its inside ports (item, index) on the inside of its left edge, for the
// nodes inside it. Nodes inside are Vue Flow child nodes (parentNode), so they move with it.
const LoopFrame = markRaw({
  props: ["id", "data", "selected"],
  inheritAttrs: false,
  components: { Handle, PortColumns },
  setup() {
    return { Position };
  },
  computed: {
    classes() {
      const d = this.data;
      return ["fa-loop", d.status ? "fa-st-" + d.status : "", d.issues && d.issues.length ? "fa-invalid" : "",
              d.diff ? "fa-diff-" + d.diff : "", d.dropTarget ? "fa-drop-target" : ""];
    },
  },
  template: `
    <div :class="classes" :data-testid="'node-' + id" data-type="loop" data-frame="true"
         :data-status="data.status || ''" :data-progress="data.statusText || ''"
         :data-invalid="data.issues && data.issues.length ? 'true' : 'false'">
      <div class="fa-head fa-loop-head">
        <span class="fa-label" data-role="label">{{ data.label || id }}</span>
        <span class="fa-type">{{ data.title }}</span>
        <span v-if="data.summary" class="fa-loop-summary" data-role="summary">{{ data.summary }}</span>
        <span v-if="data.status === 'running'" class="fa-spinner" data-role="spinner"></span>
        <span v-if="data.status" class="fa-status" data-role="status">{{ data.statusText }}</span>
      </div>
      <PortColumns :inputs="data.inputs" :outputs="data.outputs" extra="fa-loop-ports" />
      <div class="fa-loop-inner">
        <div v-for="p in data.body" :key="'b' + p.name" class="fa-port fa-port-inner" :data-inner="p.name">
          <span class="fa-pname">{{ p.label || p.name }}</span><span class="fa-ptype">{{ p.typeLabel || p.type }}</span>
          <Handle type="source" :id="p.name" :position="Position.Right" :class="'fa-h fa-inner fa-t-' + p.type"
                  :title="(p.label || p.name) + ': ' + (p.typeLabel || p.type)" />
        </div>
        <div class="fa-loop-hint">{{ data.hint }}</div>
      </div>
      <div v-if="data.error" class="fa-error fa-loop-note" data-role="error">{{ data.error }}</div>
      <div v-for="(m, i) in (data.issues || [])" :key="'x' + i" class="fa-issue fa-loop-note" data-role="issue">{{ m }}</div>
    </div>`,
});

// A stage: a labelled frame drawn around its nodes (their bounding box). Only its header takes the
// mouse (rename, remove); the nodes in it are dragged as ever, and where a node is let go decides
// its stage. During a run it shows the stage's status and progress.
const StageFrame = markRaw({
  props: ["id", "data"],
  inheritAttrs: false,
  template: `
    <div :class="['fa-stage', 'fa-stage-' + (data.status || 'none')]" :data-testid="'stage-' + data.stageId"
         :data-status="data.status || ''" :data-progress="data.progress == null ? '' : String(data.progress)">
      <div class="fa-stage-head nodrag">
        <span class="fa-stage-label" data-role="stage-label">{{ data.label }}</span>
        <span v-if="data.status" class="fa-stage-status" data-role="stage-status">{{ data.statusText }}</span>
        <span v-if="data.status" class="fa-stage-bar"><span :style="{ width: Math.round((data.progress || 0) * 100) + '%' }"></span></span>
        <button v-if="!data.readonly" class="fa-stage-btn" data-role="stage-rename" :title="data.renameText"
                @click.stop="data.relay('stage_rename', { id: data.stageId, label: data.label })">✎</button>
        <button v-if="!data.readonly" class="fa-stage-btn" data-role="stage-remove" :title="data.removeText"
                @click.stop="data.relay('stage_remove', { id: data.stageId })">✕</button>
      </div>
    </div>`,
});
const STAGE_PAD = { side: 24, top: 46, bottom: 24 };

// A sticky note: text for people, moved by its header, resized by its corner; runs ignore it.
const NoteNode = markRaw({
  props: ["id", "data", "selected"],
  inheritAttrs: false,
  template: `
    <div class="fa-note" :data-testid="'note-' + data.noteId" :style="{ width: data.width + 'px', height: data.height + 'px' }">
      <div class="fa-note-head">
        <span class="fa-note-grip">⋮⋮</span>
        <button v-if="!data.readonly" class="fa-note-btn nodrag" data-role="note-remove" :title="data.removeText"
                @click.stop="data.remove(data.noteId)">✕</button>
      </div>
      <textarea class="fa-note-text nodrag nowheel" data-role="note-text" :readonly="data.readonly" :value="data.text"
                :placeholder="data.placeholder" @input="data.typed(data.noteId, $event.target.value)"
                @keydown="keepKey"></textarea>
      <div v-if="!data.readonly" class="fa-note-resize nodrag" data-role="note-resize"
           @pointerdown.stop.prevent="data.resize(data.noteId, $event)"></div>
    </div>`,
  methods: {
    keepKey(e) { // keys typed in a note stay there (Delete edits the text, not the canvas); Ctrl+S saves
      if (!((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s")) e.stopPropagation();
    },
  },
});
const NOTE = "note:"; // canvas ids of notes: never a node id (node ids have no ":")
const isNote = (n) => n && n.type === "flowai-note";

// Auto-layout (dagre, vendored in vendor/dagre, loaded on first use as a classic script).
const LAYOUT = { rankdir: "LR", nodesep: 40, ranksep: 90, edgesep: 20 };
const RESULT_ROOM = 70; // below each node: its collapsed results (streamed text, an error) after a run
let dagreLoading = null;
function loadDagre(base) {
  if (window.dagre) return Promise.resolve(window.dagre);
  if (!dagreLoading) {
    dagreLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${base}/dagre/dagre.min.js`;
      script.onload = () => resolve(window.dagre);
      script.onerror = () => { dagreLoading = null; reject(new Error("dagre did not load")); };
      document.head.appendChild(script);
    });
  }
  return dagreLoading;
}

function overlaps(a, b, gap) {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

const SHORTCUT_KEYS = { "?": "help", "L": "layout", "N": "note" }; // with Shift where a letter


const INSERT_GAP = 60; // between a node inserted into an edge and its neighbours
const FRAME_MIN = { width: 560, height: 300 }; // a loop's frame: at least this, and room below its nodes
const FRAME_PAD = { right: 60, bottom: 110 };

function edgeClass(edge, portType) {
  return "fa-edge fa-edge-" + (portType || "any");
}

const GROUP_COLOURS = { inputs: "#86efac", ai: "#a5b4fc", media: "#f0abfc", logic: "#fde047", outputs: "#fda4af" };


// --- wiring: live wires, port fit while dragging, order edges, the node picker ---------------
// (kept together, apart from the rest of the canvas: Canvas takes it as a mixin)

// An edge: a data wire (coloured by its port type) or an order edge (dashed, labelled "order":
// it only makes its source upstream). Hovered or selected, it offers a "+" that inserts a node.
const FlowEdge = markRaw({
  props: ["id", "source", "target", "sourceX", "sourceY", "targetX", "targetY", "sourcePosition", "targetPosition",
          "sourceHandleId", "targetHandleId", "data", "markerEnd", "style", "selected", "interactionWidth"],
  inheritAttrs: false,
  components: { BaseEdge, EdgeLabelRenderer },
  inject: { wire: { from: "faWire", default: null } },
  computed: {
    geometry() {
      return getBezierPath({ sourceX: this.sourceX, sourceY: this.sourceY, sourcePosition: this.sourcePosition,
                             targetX: this.targetX, targetY: this.targetY, targetPosition: this.targetPosition });
    },
    order() {
      return !this.sourceHandleId && !this.targetHandleId;
    },
    tools() {
      const w = this.wire;
      return !!w && !w.locked && (this.selected || w.hoverEdge === this.id);
    },
    at() {
      // just above the middle of the wire: a click on the wire itself still selects it
      return { transform: `translate(-50%, -100%) translate(${this.geometry[1]}px, ${this.geometry[2] - 5}px)` };
    },
  },
  template: `
    <BaseEdge :id="id" :path="geometry[0]" :marker-end="markerEnd" :style="style" :interaction-width="20" />
    <EdgeLabelRenderer>
      <div v-if="order || tools" class="fa-edge-tools nodrag nopan" :style="at" :data-edge="id"
           @mouseenter="wire && wire.holdEdge(id)" @mouseleave="wire && wire.leaveEdge(id)">
        <span v-if="order" class="fa-order-tag" data-role="order" :title="wire ? wire.orderTitle(source, target) : ''">{{ wire ? wire.say('order') : 'order' }}</span>
        <button v-if="tools" type="button" class="fa-plus fa-edge-plus" data-role="edge-plus"
                :title="wire.say('plus_edge')" @click.stop="wire.pickIntoEdge(id, $event, geometry[1], geometry[2])">+</button>
      </div>
    </EdgeLabelRenderer>`,
});

// The node picker: a search box over the node types that fit the wire, where a wire was let go
// (or a "+" clicked). Picking one adds it there, connected.
const NodePicker = markRaw({
  props: ["picker", "kinds", "compat", "texts"],
  emits: ["pick", "close"],
  data() {
    return { query: "" };
  },
  computed: {
    shown() {
      const q = this.query.trim().toLowerCase();
      return this.picker.kinds.filter((k) => !q || k.title.toLowerCase().includes(q) || k.type.includes(q));
    },
  },
  mounted() {
    this.$nextTick(() => this.$refs.search && this.$refs.search.focus());
  },
  methods: {
    say(key) {
      return (this.texts && this.texts[key]) || key;
    },
    onKey(e) {
      if (e.key === "Escape") this.$emit("close");
      else if (e.key === "Enter" && this.shown.length) this.$emit("pick", this.shown[0].type);
    },
  },
  template: `
    <div class="fa-picker nowheel nodrag nopan" data-testid="node-picker" :style="{ left: picker.left + 'px', top: picker.top + 'px' }"
         @mousedown.stop @pointerdown.stop @click.stop>
      <div class="fa-picker-head">{{ picker.heading }}</div>
      <input ref="search" v-model="query" class="fa-picker-search nokey" data-testid="picker-search"
             :placeholder="say('picker_search')" @keydown.stop="onKey" />
      <div class="fa-picker-list">
        <button v-for="k in shown" :key="k.type" type="button" class="fa-picker-item" :data-testid="'picker-' + k.type"
                :title="k.help" @click="$emit('pick', k.type)">
          <span :class="'fa-picker-dot fa-group-dot-' + k.group"></span>{{ k.title }}
        </button>
        <div v-if="!shown.length" class="fa-picker-empty">{{ say('picker_none') }}</div>
      </div>
    </div>`,
});

const Wiring = {
  data() {
    return { hoverEdge: null, picker: null, dragFrom: null };
  },
  provide() {
    return { faWire: this };
  },
  methods: {
    shadow() {
      return this.host.shadowRoot;
    },
    // Why an order edge (node to node, no ports) may not join these two (null: it may).
    orderRefusal(c) {
      const src = this.flow.findNode(c.source);
      const dst = this.flow.findNode(c.target);
      if (!src || !dst || dst.data.ntype === "input" || src.data.ntype === "output") return this.say("refuse_order_end");
      if ((src.parentNode || null) !== (dst.parentNode || null)) {
        return this.say("refuse_frame", { source: this.label(c.source), target: this.label(c.target),
                                          loop: this.label(src.parentNode || dst.parentNode) });
      }
      if (this.flow.getEdges.value.some((e) => e.source === c.source && e.target === c.target && !e.sourceHandle && !e.targetHandle)) {
        return this.say("refuse_order_twice", { source: this.label(c.source), target: this.label(c.target) });
      }
      if (this.reaches(c.target, c.source)) return this.say("refuse_cycle");
      return null;
    },
    orderTitle(source, target) {
      return this.say("order_title", { source: this.label(source), target: this.label(target) });
    },
    // Why a wire from the drag's start may not end on this handle (null: it may).
    fitOf(from, nodeId, handleId, kind) {
      if (kind === from.handleType) return this.say("wire_same_side");
      const c = from.handleType === "source"
        ? { source: from.nodeId, sourceHandle: from.handleId, target: nodeId, targetHandle: handleId }
        : { source: nodeId, sourceHandle: handleId, target: from.nodeId, targetHandle: from.handleId };
      if (c.source === c.target) return this.say("refuse_self");
      if (c.sourceHandle && c.targetHandle) {
        const out = this.portType(c.source, c.sourceHandle, "outputs");
        const inp = this.portType(c.target, c.targetHandle, "inputs");
        const accepts = (this.compat && this.compat[inp]) || [];
        if (out && inp && !(out === inp || out === "any" || inp === "any" || accepts.includes(out))) {
          return this.say("wire_type", { stype: out, ttype: inp });
        }
      }
      return this.refusal(c);
    },
    // While a wire is dragged: ports it may end on are highlighted, the others dimmed with the
    // reason in their tooltip; node bodies take it as an order edge.
    markFits(from) {
      const root = this.shadow();
      if (!root) return;
      for (const h of root.querySelectorAll(".vue-flow__handle")) {
        const nodeId = h.getAttribute("data-nodeid");
        const kind = h.classList.contains("source") ? "source" : "target";
        if (nodeId === from.nodeId && (h.getAttribute("data-handleid") || null) === from.handleId && kind === from.handleType) continue;
        const why = this.fitOf(from, nodeId, h.getAttribute("data-handleid") || null, kind);
        h.dataset.faTitle = h.getAttribute("title") || "";
        h.classList.add(why ? "fa-unfit" : "fa-fit");
        h.setAttribute("title", why || h.dataset.faTitle);
      }
      root.querySelector(".fa-flow").classList.add("fa-wiring");
      this.mark("wiring", from.handleType);
    },
    clearFits() {
      const root = this.shadow();
      if (!root) return;
      for (const h of root.querySelectorAll(".fa-fit, .fa-unfit")) {
        h.classList.remove("fa-fit", "fa-unfit");
        if ("faTitle" in h.dataset) h.setAttribute("title", h.dataset.faTitle);
        delete h.dataset.faTitle;
      }
      const flow = root.querySelector(".fa-flow");
      if (flow) flow.classList.remove("fa-wiring");
      delete this.host.dataset.wiring;
    },
    wireStart(ev) {
      if (this.locked || !ev) return;
      this.dragFrom = { nodeId: ev.nodeId, handleId: ev.handleId || null, handleType: ev.handleType || "source" };
      this.wireConnected = false;
      this.markFits(this.dragFrom);
    },
    // The wire was let go. On a port, onConnect has already run; on a node's body it makes an
    // order edge; on empty canvas it opens the node picker there.
    wireEnd(event) {
      const from = this.dragFrom;
      this.dragFrom = null;
      this.clearFits();
      if (!from || this.locked || this.wireConnected || !event) return;
      const point = event.changedTouches ? event.changedTouches[0] : event;
      const el = this.shadow().elementFromPoint(point.clientX, point.clientY);
      if (!el || el.closest(".fa-picker, .vue-flow__controls, .vue-flow__minimap")) return;
      const nodeEl = el.closest(".vue-flow__node");
      const nodeId = nodeEl && nodeEl.getAttribute("data-id");
      const target = nodeId && this.flow.findNode(nodeId);
      if (target && target.type !== "flowai-stage") {
        if (nodeId === from.nodeId) return;
        const c = from.handleType === "source" ? { source: from.nodeId, sourceHandle: null, target: nodeId, targetHandle: null }
          : { source: nodeId, sourceHandle: null, target: from.nodeId, targetHandle: null };
        this.onConnect(c);
        return;
      }
      if (el.closest(".vue-flow__pane, .vue-flow__edge, .fa-stage-node") || !nodeEl) {
        const end = from.handleType === "source" ? { upstream: [from.nodeId, from.handleId] }
          : { downstream: [from.nodeId, from.handleId] };
        this.openPicker(point.clientX, point.clientY, end);
      }
    },
    // The node types a wire of these ends may get: the ones with a port that fits it.
    fittingKinds(end) {
      const accepts = (out, inp) => out === inp || out === "any" || inp === "any"
        || ((this.compat && this.compat[inp]) || []).includes(out);
      let kinds = (this.kinds || []).slice();
      if (end.upstream) {
        kinds = kinds.filter((k) => k.type !== "input");
        const out = end.upstream[1] && this.portType(end.upstream[0], end.upstream[1], "outputs");
        if (out) kinds = kinds.filter((k) => Object.values(k.inputs).some((t) => accepts(out, t)));
      }
      if (end.downstream) {
        kinds = kinds.filter((k) => k.type !== "output");
        const inp = end.downstream[1] && this.portType(end.downstream[0], end.downstream[1], "inputs");
        if (inp) kinds = kinds.filter((k) => Object.values(k.outputs).some((t) => accepts(t, inp)));
      }
      return kinds;
    },
    openPicker(clientX, clientY, end) {
      const box = this.host.getBoundingClientRect();
      const where = this.flow.screenToFlowCoordinate({ x: clientX, y: clientY });
      const from = end.upstream || end.downstream;
      const heading = end.upstream && end.downstream ? this.say("picker_insert")
        : this.say(end.upstream ? "picker_after" : "picker_before",
                   { port: `${this.label(from[0])}${from[1] ? " · " + this.portLabel(from[0], from[1]) : ""}` });
      this.picker = { ...end, heading, kinds: this.fittingKinds(end), position: where,
                      left: Math.max(4, Math.min(clientX - box.left, box.width - 270)),
                      top: Math.max(4, Math.min(clientY - box.top, box.height - 320)) };
      this.mark("picker", "open");
    },
    closePicker() {
      this.picker = null;
      delete this.host.dataset.picker;
    },
    pick(type) {
      const p = this.picker;
      if (!p) return;
      this.closePicker();
      const at = p.position;
      const into = p.upstream && p.downstream ? this.insertSpot(p.upstream[0], p.downstream[0]) : null;
      const wanted = p.downstream && !p.upstream ? { x: at.x - 250, y: at.y - 30 } : { x: at.x, y: at.y - 30 };
      const position = into ? into.position : this.freeSpot(wanted); // (the canvas's: the free spot nearest to it)
      this.relay("add_connected", { type, position, upstream: p.upstream || null, downstream: p.downstream || null,
                                    room: into ? into.room : 0 });
    },
    // Nodes the server moved (node id -> absolute position): they made room for a node inserted
    // into an edge. A loop before its nodes; a node inside keeps its place in its (moved) frame.
    placeNodes(positions) {
      const moved = positions || {};
      const ids = Object.keys(moved).map((id) => this.flow.findNode(id)).filter(Boolean);
      for (const n of framesFirst(ids)) {
        const host = n.parentNode && this.flow.findNode(n.parentNode);
        const at = host ? moved[host.id] || host.position : { x: 0, y: 0 };
        this.flow.updateNode(n.id, { position: { x: moved[n.id].x - at.x, y: moved[n.id].y - at.y } });
      }
      this.relayout();
      return true;
    },
    // Into an edge (n8n's way): the new node goes right after the edge's source, on its target's
    // row; the server moves the target and what follows it (on its right) to make room: the new
    // node's width and a gap. Flow coordinates, absolute (as the server keeps positions).
    insertSpot(sourceId, targetId) {
      const src = this.flow.findNode(sourceId);
      const dst = this.flow.findNode(targetId);
      if (!src || !dst) return null;
      const a = this.absolute(src);
      const b = this.absolute(dst);
      const plain = this.flow.getNodes.value.find((n) => n.type === "flowai" && n.dimensions.width);
      const width = plain ? plain.dimensions.width : 220; // a new node is as wide as the others
      const after = a.x + (src.dimensions.width || width) + INSERT_GAP;
      const x = b.x > a.x ? Math.min(after, b.x) : after;
      return { position: { x: Math.round(x / 10) * 10, y: Math.round(b.y / 10) * 10 }, room: Math.ceil(width) + INSERT_GAP };
    },
    // "+" next to an output port: the picker, below the button; the node goes to its right.
    pickAfterPort(nodeId, port, event) {
      const r = event.currentTarget.getBoundingClientRect();
      this.openPicker(r.right + 40, r.top, { upstream: [nodeId, port] });
    },
    // "+" on an edge: a node in between its two ends.
    pickIntoEdge(edgeId, event) {
      const e = this.flow.findEdge(edgeId);
      if (!e) return;
      const r = event.currentTarget.getBoundingClientRect();
      this.openPicker(r.left + r.width / 2, r.top + r.height / 2,
                      { upstream: [e.source, e.sourceHandle || null], downstream: [e.target, e.targetHandle || null] });
    },
    hoverIn({ edge }) {
      clearTimeout(this._edgeLeave);
      this.hoverEdge = edge.id;
    },
    hoverOut({ edge }) {
      this.leaveEdge(edge.id);
    },
    holdEdge(id) {
      clearTimeout(this._edgeLeave);
      this.hoverEdge = id;
    },
    leaveEdge(id) {
      clearTimeout(this._edgeLeave);
      this._edgeLeave = setTimeout(() => {
        if (this.hoverEdge === id) this.hoverEdge = null;
      }, 1000);  // time to reach the "+" from the wire
    },
  },
};

const EVENTS = ["ready", "add_node", "move", "connect", "remove", "select", "refused", "undo", "redo", "copy",
                "paste", "save", "stage_rename", "stage_remove", "add_connected", "layout", "note_add", "note_edit",
                "note_remove", "duplicate", "help"];
const METHODS = ["setGraph", "addNodes", "addEdges", "updateNode", "removeElements", "setIssues", "patchNodes",
                 "appendStream", "clearRun", "viewCenter", "fit", "setDirty", "selectNode", "setStages", "patchStages",
                 "selectedIds", "autoLayout", "freeSpot", "addNotes", "removeNotes", "selectAll", "setNotes", "fitSoon",
                 "placeNodes"];

// The NiceGUI element: a host <div> whose shadow root holds the canvas app; methods and events relay.
export default {
  props: {
    graph: Object,
    texts: Object,
    compat: Object,
    readonly: Boolean,
    flowId: String,
    css: String,
    resourcePath: String,
    kinds: Array,
  },
  emits: EVENTS,
  template: `<div class="fa-host"></div>`,
  async mounted() {
    performance.mark("flowai-canvas-mounted");
    await nextTick(); // window.path_prefix is set only once the app has mounted
    const root = this.$el.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = this.css;
    root.appendChild(style);
    const css = loadCss(root, `${window.path_prefix || ""}${this.resourcePath}`);
    const mountPoint = document.createElement("div");
    mountPoint.className = "fa-canvas";
    root.appendChild(mountPoint);
    this.app = createApp(Canvas, {
      graph: this.graph, texts: this.texts, compat: this.compat, readonly: this.readonly, flowId: this.flowId,
      kinds: this.kinds || [],
      host: this.$el, stylesLoaded: css, relay: (name, payload) => this.$emit(name, payload),
      base: `${window.path_prefix || ""}${this.resourcePath}`,
    });
    this.inner = this.app.mount(mountPoint);
  },
  unmounted() {
    if (this.app) this.app.unmount();
  },
  methods: Object.fromEntries(METHODS.map((name) => [name, function (...args) {
    return this.inner ? this.inner[name](...args) : undefined;
  }])),
};

const Canvas = {
  components: { VueFlow, Background, Controls, MiniMap, NodePicker },
  mixins: [Wiring],
  props: {
    kinds: Array, // the node types the picker offers: {type, title, group, help, inputs, outputs}
    graph: Object,
    texts: Object,
    compat: Object,
    readonly: Boolean,
    flowId: String,
    host: Object, // the element in the page: tests and styles read its data-* attributes
    stylesLoaded: null, // a promise: the Vue Flow stylesheets have loaded
    relay: Function, // emits an event of the NiceGUI element
    base: String, // where the vendored files are served
  },
  setup(props) {
    const flow = useVueFlow({ id: props.flowId });
    return { flow, nodeTypes: { flowai: FlowNode, "flowai-loop": LoopFrame, "flowai-stage": StageFrame,
                                  "flowai-note": NoteNode },
             edgeTypes: { flowai: FlowEdge } };
  },
  data() {
    const phone = window.matchMedia("(max-width: 640px)").matches; // a phone: read-only, details on tap
    return { ready: false, locked: this.readonly || phone, phone, dirty: false,
             pending: { nodes: new Set(), edges: [] }, pointer: null, wiring: false, menu: null, details: null,
             showMap: window.localStorage.getItem("flowai.minimap") === "1" };
  },
  created() {
    this.loadGraph(this.graph);
  },
  async mounted() {
    await this.stylesLoaded;
    await frames(2); // fitting before the stylesheets apply gives a tiny, offset graph
    this.flow.fitView({ padding: 0.2, maxZoom: 1.2 });
    await frames(1);
    this.ready = true;
    this.mark("readonly", this.locked);
    this.mark("phone", this.phone);
    this.mark("minimap", this.showMap);
    this.mark("ready", true);
    performance.mark("flowai-canvas-ready");
    this.relay("ready");
    this._keys = (e) => this.onKey(e);
    this._unload = (e) => {
      if (this.dirty) {
        e.preventDefault();
        e.returnValue = "";
      }
    };
    window.addEventListener("keydown", this._keys);
    window.addEventListener("beforeunload", this._unload);
  },
  unmounted() {
    window.removeEventListener("keydown", this._keys);
    window.removeEventListener("beforeunload", this._unload);
  },
  methods: {
    // --- layout and organisation: notes, auto-layout, free spots, menu, shortcuts, minimap ---------
    noteNode(note) {
      return { id: NOTE + note.id, type: "flowai-note", position: { ...note.position }, class: "fa-note-node",
               connectable: false, deletable: !this.locked, draggable: !this.locked,
               data: { noteId: note.id, text: note.text, width: note.size.width, height: note.size.height,
                       readonly: this.locked, placeholder: this.say("note_placeholder"),
                       removeText: this.say("menu_delete"), typed: (id, text) => this.noteTyped(id, text),
                       remove: (id) => this.noteRemove(id), resize: (id, ev) => this.noteResize(id, ev) } };
    },
    addNotes(notes) {
      this.revealNext = false;
      this.flow.addNodes(notes.map((note) => this.noteNode(note)));
      return true;
    },
    removeNotes(ids) {
      const gone = new Set(ids.map((id) => NOTE + id));
      this.flow.setNodes(this.flow.getNodes.value.filter((n) => !gone.has(n.id)));
      return true;
    },
    setNotes(notes) {
      const keep = this.flow.getNodes.value.filter((n) => !isNote(n));
      this.flow.setNodes([...keep.filter((n) => n.type === "flowai-stage"), ...notes.map((x) => this.noteNode(x)),
                          ...keep.filter((n) => n.type !== "flowai-stage")]);
      return true;
    },
    notesMoved(notes) {
      for (const n of notes) {
        this.relay("note_edit", { id: n.data.noteId, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) } });
      }
    },
    noteTyped(id, text) {
      this.flow.updateNodeData(NOTE + id, { text });
      clearTimeout((this._typed = this._typed || {})[id]);
      this._typed[id] = setTimeout(() => this.relay("note_edit", { id, text }), 300);
    },
    noteRemove(id) {
      if (this.locked) return;
      this.flow.removeNodes([NOTE + id]); // reported by onNodesChange
    },
    noteResize(id, ev) {
      const node = this.flow.findNode(NOTE + id);
      if (!node || this.locked) return;
      const start = { x: ev.clientX, y: ev.clientY, w: node.data.width, h: node.data.height };
      const zoom = this.flow.viewport.value.zoom || 1;
      const size = (e) => ({ width: Math.max(80, Math.round(start.w + (e.clientX - start.x) / zoom)),
                             height: Math.max(60, Math.round(start.h + (e.clientY - start.y) / zoom)) });
      const move = (e) => this.flow.updateNodeData(NOTE + id, size(e));
      const up = (e) => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        const s = size(e);
        this.flow.updateNodeData(NOTE + id, s);
        this.relay("note_edit", { id, size: s });
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    },
    // Pan (at the same zoom) so that the first of these new nodes is in view, if it is not wholly.
    reveal(nodes) {
      const n = nodes.find((x) => !x.parentNode);
      if (!n) return;
      const el = this.host.getBoundingClientRect();
      const tl = this.flow.screenToFlowCoordinate({ x: el.left, y: el.top });
      const br = this.flow.screenToFlowCoordinate({ x: el.right, y: el.bottom });
      const w = n.dimensions.width || 240;
      const h = n.dimensions.height || 90;
      if (n.position.x >= tl.x && n.position.y >= tl.y && n.position.x + w <= br.x && n.position.y + h <= br.y) return;
      this.flow.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom: this.flow.viewport.value.zoom, duration: 0 });
    },
    fitSoon() { // after the page resized the canvas (a panel collapsed)
      frames(3).then(() => this.fit());
      return true;
    },
    addNoteAt(point) {
      if (this.locked) return;
      const p = this.freeSpot(point, { w: 220, h: 140 });
      this.relay("note_add", { position: p });
    },
    toggleMap() {
      this.showMap = !this.showMap;
      window.localStorage.setItem("flowai.minimap", this.showMap ? "1" : "0");
      this.mark("minimap", this.showMap);
    },
    selectAll() {
      const all = this.flow.getNodes.value.filter((n) => n.type !== "flowai-stage" && !n.hidden);
      this.flow.addSelectedNodes(all);
      return all.length;
    },
    // Whether a key went to a text field (the canvas lives in a shadow root: the event's target
    // outside it is the host element, its composed path starts at the field).
    typing(e) {
      const t = (e.composedPath && e.composedPath()[0]) || e.target;
      return !!t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
    },
    onPlainKey(e) {
      if (e.altKey || this.typing(e)) return;
      if (e.key === "Escape") {
        this.menu = null;
        this.details = null;
        return;
      }
      const what = SHORTCUT_KEYS[e.key];
      if (!what || (what !== "help" && !e.shiftKey)) return;
      e.preventDefault();
      if (what === "help") this.relay("help");
      else if (what === "layout") this.autoLayout();
      else if (what === "note") this.addNoteAt(this.pointer ? this.flow.screenToFlowCoordinate(this.pointer) : this.viewCenter());
    },
    openMenu(event, items, node) {
      event.preventDefault();
      const box = this.host.getBoundingClientRect();
      this.menu = { x: Math.min(event.clientX - box.left, box.width - 180), y: Math.min(event.clientY - box.top, box.height - 200),
                    items, node, at: this.flow.screenToFlowCoordinate({ x: event.clientX, y: event.clientY }) };
    },
    onNodeMenu(ev) {
      if (ev.node.type === "flowai-stage") return;
      ev.event.preventDefault();
      if (this.locked) return;
      if (isNote(ev.node)) this.openMenu(ev.event, ["delete"], ev.node);
      else this.openMenu(ev.event, ["duplicate", "delete", "note", "layout", "select_all"], ev.node);
    },
    onPaneMenu(event) {
      event.preventDefault();
      if (!this.locked) this.openMenu(event, ["note", "layout", "select_all"], null);
    },
    menuAction(item) {
      const menu = this.menu;
      this.menu = null;
      if (!menu) return;
      const node = menu.node;
      const chosen = node && (node.selected ? this.flow.getSelectedNodes.value.filter((n) => n.type !== "flowai-stage")
        : [node]);
      if (item === "duplicate" && node) {
        const ids = chosen.filter((n) => !isNote(n)).map((n) => n.id);
        const box = this.boxOf(ids);
        const at = box ? this.freeSpot({ x: box.x + box.w + 40, y: box.y }, { w: box.w, h: box.h }) : menu.at;
        this.relay("duplicate", { ids, position: at });
      } else if (item === "delete" && node) {
        this.flow.removeNodes(chosen.filter((n) => n.deletable !== false).map((n) => n.id));
      } else if (item === "note") {
        this.addNoteAt(menu.at);
      } else if (item === "layout") {
        this.autoLayout();
      } else if (item === "select_all") {
        this.selectAll();
      }
    },
    // The boxes taken on the canvas (flow coordinates): nodes, loops, notes.
    takenBoxes() {
      return this.flow.getNodes.value.filter((n) => n.type !== "flowai-stage" && !n.parentNode).map((n) => {
        const w = n.dimensions.width || (n.data.frame ? FRAME_MIN.width : 240);
        const h = n.dimensions.height || (n.data.frame ? FRAME_MIN.height : 90);
        return { x: n.position.x, y: n.position.y, w, h: isNote(n) ? h : h + RESULT_ROOM };
      });
    },
    // The free spot nearest ``point`` (default: the view's centre) for a box of ``size``: where a
    // clicked palette entry, a duplicate or a note goes, never on top of what is there.
    freeSpot(point, size) {
      this.revealNext = true;
      const want = size || { w: 240, h: 120 };
      const centre = point || this.viewCenter();
      const start = point ? { x: centre.x, y: centre.y } : { x: centre.x - want.w / 2, y: centre.y - want.h / 2 };
      const taken = this.takenBoxes();
      const free = (p) => !taken.some((b) => overlaps({ x: p.x, y: p.y, w: want.w, h: want.h + RESULT_ROOM }, b, 20));
      const step = 40;
      for (let ring = 0; ring < 60; ring++) {
        const found = [];
        for (let dx = -ring; dx <= ring; dx++) {
          for (let dy = -ring; dy <= ring; dy++) {
            if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
            const p = { x: start.x + dx * step, y: start.y + dy * step };
            if (free(p)) found.push(p);
          }
        }
        if (found.length) {
          found.sort((a, b) => Math.hypot(a.x - start.x, a.y - start.y) - Math.hypot(b.x - start.x, b.y - start.y));
          return { x: Math.round(found[0].x / 10) * 10, y: Math.round(found[0].y / 10) * 10 };
        }
      }
      return { x: Math.round(start.x), y: Math.round(start.y) };
    },
    // Lay the graph out left to right with dagre: a loop's nodes inside its frame first (the frame
    // grows to hold them), then the top level, each stage's nodes kept together. Notes keep their
    // place beside the node nearest to them. One "layout" event: one undo step on the server.
    async autoLayout() {
      if (this.locked) return false;
      const dagre = await loadDagre(this.base);
      const started = performance.now();
      const nodes = this.flow.getNodes.value.filter((n) => n.type === "flowai" || n.type === "flowai-loop");
      if (!nodes.length) return false;
      const size = (n) => ({ width: n.dimensions.width || 240, height: (n.dimensions.height || 90) + RESULT_ROOM });
      const anchors = this.noteAnchors(nodes);
      const relative = {};
      const frameSize = {};
      for (const loop of nodes.filter((n) => n.data.frame)) {
        const kids = nodes.filter((n) => n.parentNode === loop.id);
        frameSize[loop.id] = { width: FRAME_MIN.width, height: FRAME_MIN.height };
        if (!kids.length) continue;
        const g = new dagre.graphlib.Graph();
        g.setGraph({ ...LAYOUT });
        g.setDefaultEdgeLabel(() => ({}));
        for (const k of kids) g.setNode(k.id, size(k));
        for (const e of this.flow.getEdges.value) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
        dagre.layout(g);
        const inner = this.host.shadowRoot.querySelector(`[data-testid="node-${window.CSS.escape(loop.id)}"] .fa-loop-inner`);
        const origin = { x: 200, y: (inner ? inner.offsetTop : 90) + 10 };
        for (const k of kids) {
          const p = g.node(k.id);
          const at = { x: Math.round(origin.x + p.x - p.width / 2), y: Math.round(origin.y + p.y - p.height / 2) };
          relative[k.id] = at;
          frameSize[loop.id].width = Math.max(frameSize[loop.id].width, at.x + p.width + FRAME_PAD.right);
          frameSize[loop.id].height = Math.max(frameSize[loop.id].height, at.y + p.height + FRAME_PAD.bottom);
        }
      }
      const g = new dagre.graphlib.Graph({ compound: true });
      g.setGraph({ ...LAYOUT });
      g.setDefaultEdgeLabel(() => ({}));
      const top = nodes.filter((n) => !n.parentNode);
      for (const n of top) g.setNode(n.id, n.data.frame ? { ...frameSize[n.id], height: frameSize[n.id].height + RESULT_ROOM } : size(n));
      for (const st of this.stages || []) {
        const members = st.nodes.filter((id) => g.hasNode(id));
        if (!members.length) continue;
        g.setNode("stage:" + st.id, { paddingTop: STAGE_PAD.top });
        for (const id of members) g.setParent(id, "stage:" + st.id);
      }
      const outer = (id) => { const n = this.flow.findNode(id); return n && n.parentNode ? n.parentNode : id; };
      for (const e of this.flow.getEdges.value) {
        const a = outer(e.source);
        const b = outer(e.target);
        if (a !== b && g.hasNode(a) && g.hasNode(b)) g.setEdge(a, b);
      }
      dagre.layout(g);
      const positions = {};
      for (const n of top) {
        const p = g.node(n.id);
        positions[n.id] = { x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2) };
        n.position = { ...positions[n.id] }; // Vue Flow's nodes are reactive: one re-render, not one per node
      }
      for (const [id, at] of Object.entries(relative)) {
        const kid = this.flow.findNode(id);
        const host = positions[kid.parentNode];
        kid.position = { ...at };
        positions[id] = { x: host.x + at.x, y: host.y + at.y };
      }
      const notes = {};
      for (const [noteId, a] of Object.entries(anchors)) {
        const p = positions[a.node];
        if (!p) continue;
        notes[noteId] = { x: Math.round(p.x + a.dx), y: Math.round(p.y + a.dy) };
        this.flow.findNode(NOTE + noteId).position = { ...notes[noteId] };
      }
      this.relayout();
      this.mark("layoutMs", Math.round(performance.now() - started));
      this.relay("layout", { positions, notes });
      await frames(3);
      this.fit();
      return true;
    },
    noteAnchors(nodes) {
      const found = {};
      for (const note of this.flow.getNodes.value.filter(isNote)) {
        let best = null;
        for (const n of nodes) {
          const a = this.absolute(n);
          const d = Math.hypot(a.x - note.position.x, a.y - note.position.y);
          if (!best || d < best.d) best = { d, node: n.id, dx: note.position.x - a.x, dy: note.position.y - a.y };
        }
        if (best) found[note.data.noteId] = best;
      }
      return found;
    },
    // --- Python -> browser ---------------------------------------------------------------
    loadGraph(graph) {
      const nodes = (graph && graph.nodes) || [];
      const byId = Object.fromEntries(nodes.map((n) => [n.id, n]));
      this.stages = (graph && graph.stages) || [];
      this.flow.setNodes([...this.stages.map((st) => this.stageNode(st)),
                          ...((graph && graph.notes) || []).map((note) => this.noteNode(note)),
                          ...framesFirst(nodes).map((n) => this.decorate(n, byId))]);
      this.flow.setEdges(((graph && graph.edges) || []).map((e) => this.edge(e)));
      this.relayout();
    },
    // --- stages ----------------------------------------------------------------------------
    stageNode(st) {
      return { id: "stage:" + st.id, type: "flowai-stage", position: { x: 0, y: 0 }, draggable: false,
               selectable: false, connectable: false, deletable: false, focusable: false, class: "fa-stage-node",
               data: { stageId: st.id, label: st.label, nodes: st.nodes, status: null, progress: null,
                       readonly: this.locked, relay: this.relay, renameText: this.say("stage_rename"),
                       removeText: this.say("stage_remove") } };
    },
    setStages(stages) {
      const old = new Set((this.stages || []).map((st) => "stage:" + st.id));
      this.stages = stages || [];
      const keep = this.flow.getNodes.value.filter((n) => !old.has(n.id));
      this.flow.setNodes([...this.stages.map((st) => this.stageNode(st)), ...keep]);
      this.relayout();
      return true;
    },
    patchStages(patches) {
      for (const [id, patch] of Object.entries(patches)) {
        if (this.flow.findNode("stage:" + id)) this.flow.updateNodeData("stage:" + id, patch);
      }
      return true;
    },
    selectedIds() {
      return this.flow.getSelectedNodes.value.filter((n) => n.type !== "flowai-stage" && !isNote(n)).map((n) => n.id);
    },
    relayoutSoon() {
      if (this._relayout || !(this.stages || []).length && !this.flow.getNodes.value.some((n) => n.parentNode)) return;
      this._relayout = setTimeout(() => {
        this._relayout = null;
        this.relayout();
      }, 150);
    },
    relayout() {
      nextTick(() => frames(2).then(() => {
        this.fitFrames();
        return frames(1);
      }).then(() => this.layoutStages()));
    },
    // Each stage's frame: the bounding box of its nodes, with room for its header.
    layoutStages() {
      for (const st of this.stages || []) {
        const box = this.boxOf(st.nodes);
        const id = "stage:" + st.id;
        if (!this.flow.findNode(id)) continue;
        if (!box) {
          this.flow.updateNode(id, { hidden: true });
          continue;
        }
        const position = { x: box.x - STAGE_PAD.side, y: box.y - STAGE_PAD.top };
        const style = { width: Math.round(box.w + 2 * STAGE_PAD.side) + "px",
                        height: Math.round(box.h + STAGE_PAD.top + STAGE_PAD.bottom) + "px" };
        this.flow.updateNode(id, { position, style });
      }
    },
    boxOf(ids) {
      let box = null;
      for (const nid of ids) {
        const n = this.flow.findNode(nid);
        if (!n) continue;
        const a = this.absolute(n);
        const w = n.dimensions.width || (n.data.frame ? FRAME_MIN.width : 220);
        const h = n.dimensions.height || (n.data.frame ? FRAME_MIN.height : 80);
        box = box ? { x: Math.min(box.x, a.x), y: Math.min(box.y, a.y), r: Math.max(box.r, a.x + w),
                      b: Math.max(box.b, a.y + h) } : { x: a.x, y: a.y, r: a.x + w, b: a.y + h };
      }
      return box && { x: box.x, y: box.y, w: box.r - box.x, h: box.b - box.y };
    },
    // The stage whose frame (as drawn before this drag) holds a point, or null.
    stageAt(point) {
      let found = null;
      for (const st of this.stages || []) {
        const f = this.flow.findNode("stage:" + st.id);
        if (!f || !f.dimensions.width) continue;
        if (point.x >= f.position.x && point.x <= f.position.x + f.dimensions.width && point.y >= f.position.y
            && point.y <= f.position.y + f.dimensions.height) found = st.id;
      }
      return found;
    },
    stageOf(nodeId) {
      const st = (this.stages || []).find((s) => s.nodes.includes(nodeId));
      return st ? st.id : null;
    },
    setGraph(graph, readonly, fit) {
      this.locked = !!readonly || this.phone;
      this.mark("readonly", this.locked);
      this.loadGraph(graph);
      this.flow.addSelectedNodes([]);
      if (fit) nextTick(() => frames(2).then(() => this.flow.fitView({ padding: 0.2, maxZoom: 1.2 })));
      return true;
    },
    addNodes(nodes, select) {
      const byId = Object.fromEntries(nodes.map((n) => [n.id, n]));
      this.flow.addNodes(framesFirst(nodes).map((n) => this.decorate(n, byId)));
      this.relayout();
      if (select) {
        nextTick(() => {
          const found = nodes.map((n) => this.flow.findNode(n.id)).filter(Boolean);
          this.flow.removeSelectedNodes(this.flow.getSelectedNodes.value);
          this.flow.addSelectedNodes(found);
          if (this.revealNext) this.reveal(found); // placed by freeSpot (a click, a duplicate), not dropped
          this.revealNext = false;
        });
      }
      return true;
    },
    addEdges(edges) {
      this.flow.addEdges(edges.map((e) => this.edge(e)));
      return true;
    },
    updateNode(id, patch) {
      const node = this.flow.findNode(id);
      if (!node) return false;
      const ports = "inputs" in patch || "outputs" in patch;
      this.flow.updateNodeData(id, patch);
      if (ports) nextTick(() => this.flow.updateNodeInternals([id]));
      if (ports || node.parentNode) this.relayout();
      return true;
    },
    removeElements(nodeIds, edgeIds) {
      const nodes = new Set(nodeIds || []);
      const edges = new Set(edgeIds || []);
      if (edges.size || nodes.size) {
        this.flow.setEdges(this.flow.getEdges.value.filter(
          (e) => !edges.has(e.id) && !nodes.has(e.source) && !nodes.has(e.target)));
      }
      if (nodes.size) this.flow.setNodes(this.flow.getNodes.value.filter((n) => !nodes.has(n.id)));
      this.relayout();
      return true;
    },
    setIssues(byNode, warningsByNode) {
      for (const node of this.flow.getNodes.value) {
        if (node.type === "flowai-stage" || isNote(node)) continue;
        const issues = byNode[node.id] || [];
        if ((node.data.issues || []).join("\n") !== issues.join("\n")) this.flow.updateNodeData(node.id, { issues });
        const warnings = (warningsByNode || {})[node.id] || [];
        if ((node.data.warnings || []).join("\n") !== warnings.join("\n")) {
          this.flow.updateNodeData(node.id, { warnings });
        }
      }
      return true;
    },
    patchNodes(patches) {
      for (const [id, patch] of Object.entries(patches)) {
        if (this.flow.findNode(id)) this.flow.updateNodeData(id, patch);
      }
      this.relayoutSoon(); // a node grew (an error, streamed text): its frames follow
      return true;
    },
    appendStream(chunks) {
      for (const [id, text] of Object.entries(chunks)) {
        const node = this.flow.findNode(id);
        if (node) this.flow.updateNodeData(id, { stream: ((node.data.stream || "") + text).slice(-600) });
      }
      this.relayoutSoon();
      return true;
    },
    clearRun() {
      for (const node of this.flow.getNodes.value) {
        if (isNote(node)) continue;
        const blank = node.type === "flowai-stage" ? { status: null, statusText: "", progress: null }
          : { status: null, statusText: "", error: null, stream: "" };
        this.flow.updateNodeData(node.id, blank);
      }
      return true;
    },
    viewCenter() {
      const el = this.host.getBoundingClientRect();
      return this.flow.screenToFlowCoordinate({ x: el.left + el.width / 2, y: el.top + el.height / 2 });
    },
    fit() {
      this.flow.fitView({ padding: 0.2, maxZoom: 1.2 });
      return true;
    },
    setDirty(dirty) {
      this.dirty = !!dirty;
      this.mark("dirty", this.dirty);
      return true;
    },
    selectNode(id) {
      const node = this.flow.findNode(id);
      this.flow.removeSelectedNodes(this.flow.getSelectedNodes.value);
      if (node) this.flow.addSelectedNodes([node]);
      return true;
    },
    // --- helpers ---------------------------------------------------------------------------
    mark(name, value) {
      this.host.dataset[name] = String(value);
    },
    miniColor(node) {
      if (node.type === "flowai-stage") return "rgba(148, 163, 184, .25)";
      if (isNote(node)) return "#fde68a";
      return GROUP_COLOURS[node.data && node.data.group] || "#cbd5e1";
    },
    // A node as Vue Flow takes it: a loop as a frame, a node inside a loop as its child with a
    // position relative to it (the server keeps absolute positions). ``byId``: the batch's views.
    decorate(n, byId) {
      const { parent, ...rest } = n;
      const node = { ...rest, type: n.data.frame ? "flowai-loop" : "flowai",
                     data: { ...n.data, readonly: this.locked, hint: n.data.frame ? this.say("loop_hint") : "",
                             expandText: this.say("expand") } };
      if (n.data.frame) {
        node.style = { width: FRAME_MIN.width + "px", height: FRAME_MIN.height + "px" };
      }
      const host = parent && ((byId && byId[parent]) || this.flow.findNode(parent));
      if (host) {
        node.parentNode = parent;
        node.position = { x: n.position.x - host.position.x, y: n.position.y - host.position.y };
      }
      return node;
    },
    absolute(node) {
      const host = node.parentNode && this.flow.findNode(node.parentNode);
      const p = node.position;
      return host ? { x: host.position.x + p.x, y: host.position.y + p.y } : { x: p.x, y: p.y };
    },
    // The loop whose frame holds a point (flow coordinates), or null.
    frameAt(point, except) {
      let found = null;
      for (const f of this.flow.getNodes.value) {
        if (!f.data.frame || f.id === except) continue;
        const w = f.dimensions.width || FRAME_MIN.width;
        const h = f.dimensions.height || FRAME_MIN.height;
        if (point.x >= f.position.x && point.x <= f.position.x + w && point.y >= f.position.y
            && point.y <= f.position.y + h) found = f.id;
      }
      return found;
    },
    // Each loop's frame encloses its nodes, with room left below them to drop more.
    fitFrames() {
      const size = {};
      for (const n of this.flow.getNodes.value) {
        if (!n.parentNode) continue;
        const s = size[n.parentNode] || (size[n.parentNode] = { ...FRAME_MIN });
        s.width = Math.max(s.width, n.position.x + (n.dimensions.width || 220) + FRAME_PAD.right);
        s.height = Math.max(s.height, n.position.y + (n.dimensions.height || 80) + FRAME_PAD.bottom);
      }
      for (const f of this.flow.getNodes.value) {
        if (!f.data.frame) continue;
        const s = size[f.id] || FRAME_MIN;
        const style = { width: Math.round(s.width) + "px", height: Math.round(s.height) + "px" };
        if (!f.style || f.style.width !== style.width || f.style.height !== style.height) {
          this.flow.updateNode(f.id, { style: { ...(f.style || {}), ...style } });
        }
      }
    },
    edge(e) {
      return { ...e, type: "flowai", class: edgeClass(e, e.portType), deletable: !this.locked };
    },
    portType(nodeId, port, kind) {
      const node = this.flow.findNode(nodeId);
      const list = node ? [...(node.data[kind] || []), ...(kind === "outputs" ? node.data.body || [] : [])] : [];
      const found = list.find((p) => p.name === port);
      return found ? found.type : null;
    },
    portLabel(nodeId, port) {
      // a port as the node's face shows it (its title in the UI's language), else its name
      const node = this.flow.findNode(nodeId);
      const all = node ? [...(node.data.inputs || []), ...(node.data.outputs || []), ...(node.data.body || [])] : [];
      const found = all.find((p) => p.name === port);
      return (found && found.label) || port;
    },
    label(nodeId) {
      const node = this.flow.findNode(nodeId);
      return node ? node.data.label || nodeId : nodeId;
    },
    say(key, fmt) {
      let text = (this.texts && this.texts[key]) || key;
      for (const [k, v] of Object.entries(fmt || {})) text = text.split("{" + k + "}").join(String(v));
      return text;
    },
    reaches(from, to) {
      const next = {};
      for (const e of this.flow.getEdges.value) (next[e.source] = next[e.source] || []).push(e.target);
      const seen = new Set([from]);
      const stack = [from];
      while (stack.length) {
        const id = stack.pop();
        if (id === to) return true;
        for (const t of next[id] || []) if (!seen.has(t)) seen.add(t), stack.push(t);
      }
      return false;
    },
    refusal(c) {
      if (c.source === c.target) return this.say("refuse_self");
      if (!c.sourceHandle || !c.targetHandle) return this.orderRefusal(c);
      const out = this.portType(c.source, c.sourceHandle, "outputs");
      const inp = this.portType(c.target, c.targetHandle, "inputs");
      if (!out || !inp) return this.say("refuse_port");
      // Edges stay on one side of a loop's frame; only the loop's item / index reach inside it.
      const src = this.flow.findNode(c.source);
      const inner = (src.data.body || []).some((p) => p.name === c.sourceHandle);
      const from = inner ? c.source : src.parentNode || null;
      const to = this.flow.findNode(c.target).parentNode || null;
      if (from !== to) {
        return this.say(inner ? "refuse_inner" : "refuse_frame",
                        { source: `${this.label(c.source)}.${c.sourceHandle}`, target: `${this.label(c.target)}.${c.targetHandle}`,
                          loop: this.label(inner ? c.source : from || to) });
      }
      const accepts = (this.compat && this.compat[inp]) || [];
      if (!(out === inp || out === "any" || inp === "any" || accepts.includes(out))) {
        return this.say("refuse_type", { source: `${this.label(c.source)}.${c.sourceHandle}`, stype: out,
                                         target: `${this.label(c.target)}.${c.targetHandle}`, ttype: inp });
      }
      if (this.flow.getEdges.value.some((e) => e.target === c.target && e.targetHandle === c.targetHandle)) {
        return this.say("refuse_taken", { target: `${this.label(c.target)}.${c.targetHandle}` });
      }
      if (this.reaches(c.target, c.source)) return this.say("refuse_cycle");
      return null;
    },
    // --- browser -> Python -----------------------------------------------------------------
    onConnect(c) {
      this.wireConnected = true;
      if (this.locked) return;
      if (!c.sourceHandle || !c.targetHandle) c = { ...c, sourceHandle: null, targetHandle: null }; // an order edge
      const why = this.refusal(c);
      if (why) {
        this.mark("refused", why);
        this.relay("refused", { message: why });
        return;
      }
      const e = { source: c.source, source_port: c.sourceHandle, target: c.target, target_port: c.targetHandle };
      this.flow.addEdges([this.edge({ id: edgeId(e), source: e.source, target: e.target, sourceHandle: e.source_port,
                                      targetHandle: e.target_port,
                                      portType: c.sourceHandle ? this.portType(c.source, c.sourceHandle, "outputs") : "order" })]);
      this.relay("connect", e);
    },
    onNodesChange(changes) {
      // a node measured or resized (first drawn, fonts in, text wrapped): the frames around it follow
      // (the frames laid out a few paints after the graph came could use a node not measured yet)
      if (changes.some((c) => c.type === "dimensions" && !c.id.startsWith("stage:"))) this.relayoutSoon();
      for (const c of changes) {
        if (c.type !== "remove") continue;
        if (c.id.startsWith(NOTE)) this.relay("note_remove", { id: c.id.slice(NOTE.length) });
        else this.pending.nodes.add(c.id);
      }
      this.flushRemovals();
    },
    onEdgesChange(changes) {
      for (const c of changes) {
        if (c.type === "remove") {
          this.pending.edges.push({ source: c.source, source_port: c.sourceHandle ?? null, target: c.target,
                                    target_port: c.targetHandle ?? null });
        }
      }
      this.flushRemovals();
    },
    flushRemovals() {
      if (this._flush) return;
      this._flush = setTimeout(() => this.removalsNow(), 0);
    },
    // What a Delete removed goes to the server before whatever comes next: a browser runs input
    // events before timers, so an undo or a save pressed at once would otherwise overtake it (the
    // undo then undid the step before the removal, and the removal was lost).
    removalsNow() {
      clearTimeout(this._flush);
      this._flush = null;
      const nodes = [...this.pending.nodes];
      const edges = this.pending.edges;
      this.pending = { nodes: new Set(), edges: [] };
      if ((nodes.length || edges.length) && !this.locked) this.relay("remove", { nodes, edges });
    },
    // Positions go to the server absolute. A node dropped with its centre inside a loop's frame
    // goes into that loop; dragged out of its frame, it leaves the loop. A moved loop moves its nodes.
    onDragStop(ev) {
      if (this.locked) return;
      const moved = ev.nodes || [ev.node];
      this.notesMoved(moved.filter(isNote));
      if (moved.every(isNote)) return;
      const positions = {};
      const parents = {};
      const stages = {};
      const restage = (n) => { // let go inside a stage's frame (as drawn before the drag): in it
        const a = this.absolute(n);
        const centre = { x: a.x + (n.dimensions.width || 0) / 2, y: a.y + (n.dimensions.height || 0) / 2 };
        const now = this.stageOf(n.id);
        const alone = now && this.stages.find((st) => st.id === now).nodes.length === 1;
        const into = this.stageAt(centre);
        if (into !== now && !(alone && into === null)) stages[n.id] = into;
      };
      const put = (n) => {
        const a = this.absolute(n);
        positions[n.id] = { x: Math.round(a.x), y: Math.round(a.y) };
      };
      for (const n of moved) {
        if (isNote(n)) continue;
        if (n.data.frame) {
          put(n);
          restage(n);
          for (const c of this.flow.getNodes.value) if (c.parentNode === n.id) put(c);
          continue;
        }
        const a = this.absolute(n);
        const centre = { x: a.x + (n.dimensions.width || 0) / 2, y: a.y + (n.dimensions.height || 0) / 2 };
        const into = n.data.nests ? this.frameAt(centre, n.id) : null;
        if (into !== (n.parentNode || null)) {
          const host = into && this.flow.findNode(into);
          this.flow.updateNode(n.id, { parentNode: into || undefined,
                                       position: host ? { x: a.x - host.position.x, y: a.y - host.position.y } : a });
          parents[n.id] = into;
        }
        positions[n.id] = { x: Math.round(a.x), y: Math.round(a.y) };
        if (!into && !n.parentNode) restage(n);
        else if (into && this.stageOf(n.id)) stages[n.id] = null; // inside a loop: its loop's stage counts
      }
      for (const [nid, sid] of Object.entries(stages)) { // the frames follow at once
        for (const st of this.stages) st.nodes = st.nodes.filter((x) => x !== nid);
        const st = sid && this.stages.find((x) => x.id === sid);
        if (st) st.nodes.push(nid);
      }
      this.relayout();
      const move = { positions };
      if (Object.keys(parents).length) move.parents = parents;
      if (Object.keys(stages).length) move.stages = stages;
      this.relay("move", move);
    },
    // A wire drawn from a port back to its own node ends with a click on that node: it is no
    // selection (it would switch the side panel away while the designer works in it).
    onConnectStart(ev) {
      this.wiring = true;
      this.wireStart(ev);
    },
    onConnectEnd(event) {
      setTimeout(() => { this.wiring = false; }, 0); // after the click the same mouse-up makes
      this.wireEnd(event);
    },
    onNodeClick(ev) {
      this.menu = null;
      if (this.picker && !this.wiring) this.closePicker();
      if (isNote(ev.node) || ev.node.type === "flowai-stage") return;
      if (this.phone) {
        this.details = ev.node.id;
        return;
      }
      if (!this.wiring) this.relay("select", { id: ev.node.id });
    },
    onPaneClick() {
      this.menu = null;
      this.details = null;
      if (this.wiring) return; // the click that ends a wire (let go here: the picker just opened)
      if (this.picker) this.closePicker();
      this.relay("select", { id: null });
    },
    onDragOver(e) {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    },
    onDrop(e) {
      const type = e.dataTransfer && e.dataTransfer.getData("application/flowai-node");
      if (!type || this.locked) return;
      e.preventDefault();
      const p = this.flow.screenToFlowCoordinate({ x: e.clientX, y: e.clientY });
      const parent = this.frameAt(p); // the server decides whether the node may go inside
      this.relay("add_node", { type, position: { x: Math.round(p.x), y: Math.round(p.y) }, parent });
    },
    onMouseMove(e) {
      this.pointer = { x: e.clientX, y: e.clientY };
    },
    onKey(e) {
      const mod = e.ctrlKey || e.metaKey;
      if (this._flush) this.removalsNow();
      if (!mod) {
        this.onPlainKey(e);
        return;
      }
      const key = e.key.toLowerCase();
      if (key === "s") {
        e.preventDefault();
        if (!this.locked) this.relay("save");
        return;
      }
      if (this.typing(e) || this.locked) return;
      if (key === "a") {
        e.preventDefault();
        this.selectAll();
      } else if ((key === "z" && e.shiftKey) || key === "y") {
        e.preventDefault();
        this.relay("redo");
      } else if (key === "z") {
        e.preventDefault();
        this.relay("undo");
      } else if (key === "c") {
        const ids = this.flow.getSelectedNodes.value.map((n) => n.id);
        if (ids.length) this.relay("copy", { ids });
      } else if (key === "v") {
        e.preventDefault();
        const p = this.pointer ? this.flow.screenToFlowCoordinate(this.pointer) : this.viewCenter();
        this.relay("paste", { position: { x: Math.round(p.x), y: Math.round(p.y) } });
      }
    },
  },
  template: `
    <div class="fa-flow" @drop="onDrop" @dragover="onDragOver" @mousemove="onMouseMove">
      <VueFlow :id="flowId" :node-types="nodeTypes" :edge-types="edgeTypes" :min-zoom="0.1" :max-zoom="2.5"
               :delete-key-code="locked ? null : ['Delete', 'Backspace']"
               :nodes-draggable="!locked" :nodes-connectable="!locked" :edges-updatable="false"
               :snap-to-grid="true" :snap-grid="[10, 10]" :only-render-visible-elements="false"
               connection-mode="strict" :apply-default="true" :elevate-nodes-on-select="false"
               @connect="onConnect" @nodes-change="onNodesChange" @edges-change="onEdgesChange"
               @node-drag-stop="onDragStop" @node-click="onNodeClick" @pane-click="onPaneClick"
               @connect-start="onConnectStart" @connect-end="onConnectEnd"
               @edge-mouse-enter="hoverIn" @edge-mouse-leave="hoverOut"
               @node-context-menu="onNodeMenu" @pane-context-menu="onPaneMenu" @move-start="menu = null">
        <Background :gap="20" />
        <Controls :show-interactive="false">
          <button type="button" :class="['vue-flow__controls-button', 'fa-map-toggle', showMap ? 'fa-on' : '']"
                  data-role="minimap-toggle" :title="say('minimap')" :aria-pressed="showMap ? 'true' : 'false'"
                  @click="toggleMap">▦</button>
        </Controls>
        <MiniMap v-if="showMap" pannable zoomable :node-color="miniColor" :width="160" :height="110"
                 class="fa-minimap" />
      </VueFlow>
      <NodePicker v-if="picker" :picker="picker" :kinds="kinds" :compat="compat" :texts="texts"
                  @pick="pick" @close="closePicker" />
      <div v-if="menu" class="fa-menu" data-role="context-menu" :style="{ left: menu.x + 'px', top: menu.y + 'px' }"
           @contextmenu.prevent @pointerdown.stop>
        <button v-for="item in menu.items" :key="item" type="button" class="fa-menu-item" :data-action="item"
                @click="menuAction(item)">{{ say('menu_' + item) }}</button>
      </div>
      <div v-if="details && detailNode" class="fa-details" data-role="node-details">
        <div class="fa-details-head">
          <span class="fa-label">{{ detailNode.data.label || detailNode.id }}</span>
          <span class="fa-type">{{ detailNode.data.title }}</span>
          <span v-if="detailNode.data.status" class="fa-status">{{ detailNode.data.statusText }}</span>
          <button type="button" class="fa-note-btn" data-role="details-close" @click="details = null">✕</button>
        </div>
        <div v-if="detailNode.data.summary" class="fa-details-text">{{ detailNode.data.summary }}</div>
        <div v-if="detailNode.data.inputs && detailNode.data.inputs.length" class="fa-details-ports">
          ← {{ detailNode.data.inputs.map((p) => p.label || p.name).join(', ') }}</div>
        <div v-if="detailNode.data.outputs && detailNode.data.outputs.length" class="fa-details-ports">
          → {{ detailNode.data.outputs.map((p) => p.label || p.name).join(', ') }}</div>
        <div v-if="detailNode.data.stream" class="fa-details-text fa-stream">{{ detailNode.data.stream }}</div>
        <div v-if="detailNode.data.error" class="fa-details-text fa-error">{{ detailNode.data.error }}</div>
        <div v-for="(m, i) in (detailNode.data.issues || [])" :key="'d' + i" class="fa-details-text fa-issue">{{ m }}</div>
      </div>
    </div>`,
  computed: {
    detailNode() {
      return this.details ? this.flow.findNode(this.details) : null;
    },
  },
};

// Loops before the nodes inside them (Vue Flow wants a parent before its children).
function framesFirst(nodes) {
  return [...nodes.filter((n) => n.data.frame), ...nodes.filter((n) => !n.data.frame)];
}

export function edgeId(e) {
  return `${e.source}:${e.source_port ?? ""}->${e.target}:${e.target_port ?? ""}`;
}
