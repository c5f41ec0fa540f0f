/**
 * A validated cluster drawn: graph, layout, SVG. Pure (ELK runs in this process), so it is
 * as usable from a test or another program as from `npm run picture`.
 */
import type { ClusterSpec } from "../../schema/cluster";
import { clusterGraph, type GraphOptions, type PictureGraph, type PictureNodeKind } from "./cluster-graph";
import { layoutGraph, type PictureLayout } from "./layout";
import { renderSvg } from "./render-svg";

export interface ClusterPicture {
    graph: PictureGraph;
    layout: PictureLayout;
    svg: string;
}

/** `name` heads the picture (the stack's name, say), with counts of what it shows. */
export async function clusterPicture(spec: ClusterSpec, name: string, options: GraphOptions = {}): Promise<ClusterPicture> {
    const graph = clusterGraph(spec, options);
    const layout = await layoutGraph(graph);
    return { graph, layout, svg: renderSvg(layout, `${name}: ${summary(graph)}`) };
}

function summary(graph: PictureGraph): string {
    const count = (kind: PictureNodeKind) => graph.nodes.filter((node) => node.kind === kind).length;
    const plural = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
    return [plural(count("vip"), "VIP"), plural(count("service"), "virtual service"), plural(count("realServer"), "real server")].join(", ");
}
