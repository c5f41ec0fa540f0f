/**
 * The laid-out picture as SVG text: boxes with their lines, edges as the layout routed them,
 * edge labels set into their edge on a white backing, so each label plainly belongs to one
 * edge and a crossing line never strikes through it. Plain SVG 1.1
 * with presentation attributes (no CSS, no scripts), so browsers, GitHub's viewer and resvg
 * draw it alike. Deterministic: coordinates rounded to a tenth, elements in the layout's order.
 */
import type { PictureLayout, PlacedEdge, PlacedNode } from "./layout";
import { FONT_FAMILY, FONT_SIZE, KIND_COLORS, LABEL_PAD, LINE_HEIGHT, PAD_X, PAD_Y, TITLE_HEIGHT, textWidth } from "./picture-style";

const EDGE_COLOR = "#546e7a";
/** From a line box's top to the text's baseline, for FONT_SIZE in LINE_HEIGHT. */
const BASELINE = 12;

/** The whole SVG document, `title` above the drawing (and as its <title>). */
export function renderSvg(layout: PictureLayout, title: string): string {
    const width = Math.ceil(Math.max(layout.width, textWidth(title) + 2 * 16));
    const height = layout.height + TITLE_HEIGHT;
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="${FONT_SIZE}">`,
        `<title>${escapeXml(title)}</title>`,
        "<defs>",
        `<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${EDGE_COLOR}"/></marker>`,
        "</defs>",
        `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
        `<text x="16" y="${TITLE_HEIGHT - 10}" font-size="${FONT_SIZE + 2}" font-weight="bold" fill="#263238">${escapeXml(title)}</text>`,
        `<g transform="translate(0,${TITLE_HEIGHT})">`,
        ...layout.nodes.flatMap(nodeElements),
        ...layout.edges.map(edgePath),
        ...layout.edges.flatMap(edgeLabel),
        "</g>",
        "</svg>",
        "",
    ].join("\n");
}

function nodeElements(p: PlacedNode): string[] {
    const { fill, stroke } = KIND_COLORS[p.node.kind];
    const b = p.box;
    const container = p.children.length > 0;
    const frame = `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${container ? 1.5 : 1.2}"${container ? ' stroke-dasharray="6 3"' : ""}/>`;
    const lines = p.node.lines.map((line, i) => {
        const bold = i === 0 ? ' font-weight="bold"' : "";
        return `<text x="${n(b.x + PAD_X)}" y="${n(b.y + PAD_Y + i * LINE_HEIGHT + BASELINE)}" fill="#212121"${bold}>${escapeXml(line)}</text>`;
    });
    return [`<g id="${escapeXml(p.node.id)}">`, frame, ...lines, ...p.children.flatMap(nodeElements), "</g>"];
}

function edgePath(e: PlacedEdge): string {
    const d = e.points.map((p, i) => `${i === 0 ? "M" : "L"}${n(p.x)},${n(p.y)}`).join(" ");
    return `<path d="${d}" fill="none" stroke="${EDGE_COLOR}" stroke-width="1.2" marker-end="url(#arrow)"/>`;
}

function edgeLabel(e: PlacedEdge): string[] {
    if (!e.label || e.edge.label === undefined) return [];
    const b = e.label;
    return [
        `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" fill="#ffffff"/>`,
        `<text x="${n(b.x + LABEL_PAD)}" y="${n(b.y + BASELINE)}" fill="#37474f">${escapeXml(e.edge.label)}</text>`,
    ];
}

/** Coordinates to a tenth of a pixel: finer is invisible and would only churn the committed pictures. */
function n(v: number): string {
    return String(Math.round(v * 10) / 10);
}

/** Text safe in XML content and in double- or single-quoted attributes. */
export function escapeXml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}
