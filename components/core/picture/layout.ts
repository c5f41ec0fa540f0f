/**
 * Places the picture's graph with ELK's layered (Sugiyama) algorithm, left to right, so the
 * tiers of a cluster stand in columns in the order traffic crosses them. Every coordinate
 * comes from ELK; this module only sizes the boxes from their text and reads the result back
 * into absolute positions. Pure and deterministic: ELK runs in plain JavaScript in this process
 * (no worker, no I/O), and the same graph in the same order gives the same layout.
 */
import ELK from "elkjs";
import type { ElkExtendedEdge, ElkNode, ElkPoint } from "elkjs";
import type { PictureEdge, PictureGraph, PictureNode } from "./cluster-graph";
import { LABEL_PAD, LINE_HEIGHT, PAD_X, PAD_Y, textBlockSize, textWidth } from "./picture-style";

export interface Box {
    x: number;
    y: number;
    width: number;
    height: number;
}

export interface Point {
    x: number;
    y: number;
}

/** A node where the layout put it, in the picture's coordinates; `children` likewise. */
export interface PlacedNode {
    node: PictureNode;
    box: Box;
    children: PlacedNode[];
}

export interface PlacedEdge {
    edge: PictureEdge;
    /** Start, bends, end. */
    points: Point[];
    label?: Box;
}

export interface PictureLayout {
    width: number;
    height: number;
    nodes: PlacedNode[];
    edges: PlacedEdge[];
}

const LAYERED: Record<string, string> = {
    "elk.algorithm": "layered",
    "elk.direction": "RIGHT",
    "elk.edgeRouting": "ORTHOGONAL",
    "elk.spacing.nodeNode": "18",
    "elk.layered.spacing.nodeNodeBetweenLayers": "44",
    "elk.spacing.edgeLabel": "3",
    "elk.spacing.edgeNode": "12",
    "elk.padding": "[top=16,left=16,bottom=16,right=16]",
    // Keep the config's order where crossings allow: a stack's readers find the first VipGroup on top.
    "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
};

/**
 * Inside an HaPair: its two nodes one above the other in the graph's order (master first),
 * under the pair's own title. They have no edges, so they form one layer; kept as one
 * component and in model order, ELK stacks them as given instead of packing them by size.
 */
function pairOptions(titleLines: readonly string[]): Record<string, string> {
    const title = textBlockSize(titleLines);
    return {
        "elk.algorithm": "layered",
        "elk.direction": "RIGHT",
        "elk.separateConnectedComponents": "false",
        "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
        "elk.spacing.nodeNode": "12",
        "elk.padding": `[top=${titleLines.length * LINE_HEIGHT + 2 * PAD_Y},left=${PAD_X},bottom=${PAD_X},right=${PAD_X}]`,
        "elk.nodeSize.constraints": "MINIMUM_SIZE",
        "elk.nodeSize.minimum": `(${title.width},${title.height})`,
        "elk.contentAlignment": "H_CENTER V_TOP",
    };
}

function elkNode(n: PictureNode): ElkNode {
    if (!n.children || n.children.length === 0) return { id: n.id, ...textBlockSize(n.lines) };
    // Siblings of one width read as a pair rather than as two unrelated boxes.
    const children = n.children.map(elkNode);
    const width = Math.max(...children.map((c) => c.width ?? 0));
    return { id: n.id, layoutOptions: pairOptions(n.lines), children: children.map((c) => ({ ...c, width })) };
}

/** Edge labels are one line; ELK reserves their room and places them beside the edge. */
function elkEdge(e: PictureEdge): ElkExtendedEdge {
    const edge: ElkExtendedEdge = { id: e.id, sources: [e.from], targets: [e.to] };
    if (e.label !== undefined) {
        edge.labels = [{ text: e.label, width: Math.ceil(textWidth(e.label) + 2 * LABEL_PAD), height: LINE_HEIGHT, layoutOptions: { "elk.edgeLabels.inline": "true" } }];
    }
    return edge;
}

// ELK's engine takes a moment to start; one instance serves every layout of a process.
let engine: InstanceType<typeof ELK> | undefined;

/** Every box and edge of `graph` placed, in pixels from the top left of the drawing. */
export async function layoutGraph(graph: PictureGraph): Promise<PictureLayout> {
    engine ??= new ELK();
    const byId = new Map<string, PictureNode>();
    const index = (n: PictureNode): void => {
        byId.set(n.id, n);
        n.children?.forEach(index);
    };
    graph.nodes.forEach(index);
    const input: ElkNode = { id: "root", layoutOptions: LAYERED, children: graph.nodes.map(elkNode), edges: graph.edges.map(elkEdge) };
    const root: ElkNode = await engine.layout(input);
    const edgeById = new Map(graph.edges.map((e) => [e.id, e]));
    return {
        width: Math.ceil(root.width ?? 0),
        height: Math.ceil(root.height ?? 0),
        nodes: (root.children ?? []).map((c) => placed(c, { x: 0, y: 0 }, byId)),
        edges: (root.edges ?? []).map((e) => placedEdge(e, edgeById)),
    };
}

function placed(n: ElkNode, origin: Point, byId: Map<string, PictureNode>): PlacedNode {
    const node = byId.get(n.id);
    if (!node) throw new Error(`layout returned node ${n.id}, which the graph does not have`);
    const box = { x: origin.x + (n.x ?? 0), y: origin.y + (n.y ?? 0), width: n.width ?? 0, height: n.height ?? 0 };
    return { node, box, children: (n.children ?? []).map((c) => placed(c, box, byId)) };
}

/** Root-level edges come back in the root's coordinates, which are the picture's. */
function placedEdge(e: ElkExtendedEdge, edgeById: Map<string, PictureEdge>): PlacedEdge {
    const edge = edgeById.get(e.id);
    if (!edge) throw new Error(`layout returned edge ${e.id}, which the graph does not have`);
    const points: ElkPoint[] = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const label = e.labels?.[0];
    const out: PlacedEdge = { edge, points: points.map((p) => ({ x: p.x, y: p.y })) };
    if (label) out.label = { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 };
    return out;
}
