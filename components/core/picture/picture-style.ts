/**
 * How the picture's text is set, shared by the layout (which sizes boxes from it) and the SVG
 * renderer (which draws with it). The font is monospaced because nothing here can measure
 * text: with a fixed advance a line's width is its length times one number, in any renderer
 * that has some monospaced font.
 */
import type { PictureNodeKind } from "./cluster-graph";

export const FONT_FAMILY = "DejaVu Sans Mono, Menlo, Consolas, monospace";
export const FONT_SIZE = 12;
/** DejaVu Sans Mono advances 0.602 em; a little more keeps other monospaced fonts inside the box. */
export const CHAR_WIDTH = FONT_SIZE * 0.62;
export const LINE_HEIGHT = 16;
export const PAD_X = 10;
export const PAD_Y = 7;
/** Around an edge label's text, inside its white backing. */
export const LABEL_PAD = 3;
/** Above the drawing: the stack's name and what it holds. */
export const TITLE_HEIGHT = 34;

/** Box fill and border by kind, so the tiers read apart at a glance. */
export const KIND_COLORS: Record<PictureNodeKind, { fill: string; stroke: string }> = {
    clients: { fill: "#eceff1", stroke: "#607d8b" },
    vip: { fill: "#fff8e1", stroke: "#f9a825" },
    director: { fill: "#e3f2fd", stroke: "#1e88e5" },
    haPair: { fill: "#f3f8fd", stroke: "#1e88e5" },
    haNode: { fill: "#e3f2fd", stroke: "#1e88e5" },
    service: { fill: "#e8f5e9", stroke: "#43a047" },
    realServer: { fill: "#fbe9e7", stroke: "#f4511e" },
};

/** Pixels one line takes (code points, not UTF-16 units, so a non-ASCII character counts once). */
export function textWidth(line: string): number {
    return [...line].length * CHAR_WIDTH;
}

/** The box that holds these lines with the padding around them. */
export function textBlockSize(lines: readonly string[]): { width: number; height: number } {
    return {
        width: Math.ceil(Math.max(0, ...lines.map(textWidth)) + 2 * PAD_X),
        height: lines.length * LINE_HEIGHT + 2 * PAD_Y,
    };
}
