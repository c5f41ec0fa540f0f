/**
 * keepalived.conf rendering: the seed-002 pair as a snapshot, and one assertion per option.
 * The snapshots were also checked with `keepalived -t` (2.2.7, as Debian ships it).
 */
import { describe, expect, it } from "vitest";
import { parseCluster, type ClusterSpec } from "../../components/schema/cluster";
import { directorModel, groupView, mergeChecks } from "../../components/core/host/cluster-model";
import { SYNC_REFRESH_SECONDS, haPairNodes, type HaNode } from "../../components/core/keepalived/render-ha-pair";
import { renderKeepalived } from "../../components/core/keepalived/render-keepalived";
import { clusterOf } from "../support/stacks";

const KEY = { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIReplaceWithTheHostsOwnKey" };
const host = (address: string) => ({ address, ssh: KEY });

/** A pair's two rendered nodes from a parsed cluster. */
function pairNodes(spec: ClusterSpec, index = 0): [HaNode, HaNode] {
    const p = spec.haPairs[index];
    const groups = p.vipGroups.map((n) => groupView(spec.hosts, spec.vipGroups.find((g) => g.name === n)!));
    const node = (i: 0 | 1) => ({ ...p.nodes[i], address: spec.hosts[p.nodes[i].host].address });
    return haPairNodes({ ...p, nodes: [node(0), node(1)] }, groups);
}

/** Every option at once: two families, fwmark, persistence, flags, mixed forwarding, all checkers. */
function fullCluster(pair: Record<string, unknown> = {}): ClusterSpec {
    return parseCluster({
        hosts: { d1: host("192.168.13.111"), d2: host("192.168.13.114"), rs1: host("192.168.13.112"), rs2: host("192.168.13.113"), rs6: host("2001:db8::21") },
        vipGroups: [
            {
                name: "web",
                vips: ["192.168.13.100", "2001:DB8::100"],
                services: [
                    {
                        protocol: "tcp",
                        port: 80,
                        scheduler: "rr",
                        quorum: 1,
                        healthCheck: { type: "http", path: "/health?full=1", statusCode: 204, connectPort: 8080, delayLoop: 3 },
                        realServers: [{ host: "rs1" }, { host: "rs2" }, { host: "rs6" }],
                    },
                ],
            },
            {
                name: "api",
                vips: ["192.168.13.101"],
                services: [
                    {
                        protocol: "tcp",
                        port: 443,
                        scheduler: "sh",
                        schedulerFlags: ["sh-port", "sh-fallback"],
                        persistence: { timeout: 600, netmask: "255.255.255.0" },
                        sorryServer: { address: "192.168.13.120", port: 443 },
                        quorum: 2,
                        healthCheck: { type: "tcp", connectTimeout: 2.5, retry: 2, delayBeforeRetry: 0.5, connectIp: "192.168.13.130" },
                        realServers: [
                            { host: "rs1", weight: 2, upperThreshold: 100, lowerThreshold: 10 },
                            { host: "rs2", forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "csum" } },
                        ],
                    },
                    {
                        protocol: "udp",
                        port: 53,
                        scheduler: "rr",
                        onePacket: true,
                        healthCheck: { type: "misc", command: "/usr/local/bin/check-dns --port=53", connectTimeout: 1.5 },
                        realServers: [{ host: "rs1", forwarding: "nat", port: 5353 }, { host: "rs2", forwarding: "nat", port: 5353, weight: 0 }],
                    },
                ],
            },
            {
                name: "mark",
                vips: ["2001:db8::200"],
                services: [
                    {
                        fwmark: 7,
                        scheduler: "mh",
                        schedulerFlags: ["mh-port"],
                        persistence: { timeout: 60, netmask: 64 },
                        healthCheck: { type: "tcp", connectPort: 80 },
                        realServers: [{ host: "rs6" }],
                    },
                ],
            },
        ],
        haPairs: [
            {
                name: "edge",
                virtualRouterId: 42,
                advertInt: 2,
                authentication: { password: "s3cret" },
                unicast: true,
                preemptDelay: 30,
                syncConnections: false,
                aliasStart: 2,
                nodes: [
                    { host: "d1", priority: 150, interface: "ens33" },
                    { host: "d2", priority: 100, interface: "ens34" },
                ],
                vipGroups: ["web", "api", "mark"],
                ...pair,
            },
        ],
    });
}

describe("seed 002 (keepalived MASTER/BACKUP, TCP_CHECK)", () => {
    const [master, backup] = pairNodes(parseCluster(clusterOf("seed-002")));

    it("renders the master's keepalived.conf", () => {
        expect(master.conf).toMatchInlineSnapshot(`
          "# Managed by pulumi-lvs (HaPair web-ha, host director1). Changes here are overwritten; destroy restores the previous file.

          global_defs {
              router_id director1
              # No vrrp_strict: it installs firewall rules that drop traffic to the VIPs, which ipvs must receive.
              vrrp_garp_master_delay 1
              vrrp_garp_master_repeat 3
              lvs_sync_daemon ens33 web-ha
          }

          track_file pulumi_lvs_maintenance {
              file "/var/lib/pulumi-lvs/keepalived.maintenance"
              weight 0
          }

          vrrp_instance web-ha {
              state MASTER
              interface ens33
              virtual_router_id 51
              priority 100
              advert_int 1
              track_file {
                  pulumi_lvs_maintenance
              }
              virtual_ipaddress {
                  192.168.13.100/32 dev ens33 label ens33:0
              }
          }

          virtual_server 192.168.13.100 80 {
              lvs_sched rr
              lvs_method DR
              protocol TCP
              delay_loop 6
              real_server 192.168.13.112 80 {
                  weight 1
                  TCP_CHECK {
                      connect_timeout 3
                      retry 3
                      delay_before_retry 3
                  }
              }
              real_server 192.168.13.113 80 {
                  weight 1
                  TCP_CHECK {
                      connect_timeout 3
                      retry 3
                      delay_before_retry 3
                  }
              }
          }
          "
        `);
    });

    it("differs on the backup only in identity, state and priority", () => {
        const diff = backup.conf.split("\n").filter((line, i) => line !== master.conf.split("\n")[i]);
        expect(diff).toEqual([
            "# Managed by pulumi-lvs (HaPair web-ha, host director2). Changes here are overwritten; destroy restores the previous file.",
            "    router_id director2",
            "    state BACKUP",
            "    priority 90",
        ]);
    });

    it("is deterministic", () => {
        expect(pairNodes(parseCluster(clusterOf("seed-002")))[0].conf).toBe(master.conf);
    });
});

describe("every option", () => {
    const [d1, d2] = pairNodes(fullCluster());

    it("renders the full config", () => {
        expect(d1.conf).toMatchInlineSnapshot(`
          "# Managed by pulumi-lvs (HaPair edge, host d1). Changes here are overwritten; destroy restores the previous file.

          global_defs {
              router_id d1
              # No vrrp_strict: it installs firewall rules that drop traffic to the VIPs, which ipvs must receive.
              vrrp_garp_master_delay 1
              vrrp_garp_master_repeat 3
              enable_script_security
              script_user root
          }

          track_file pulumi_lvs_maintenance {
              file "/var/lib/pulumi-lvs/keepalived.maintenance"
              weight 0
          }

          vrrp_instance edge {
              state BACKUP
              interface ens33
              virtual_router_id 42
              priority 150
              advert_int 2
              track_file {
                  pulumi_lvs_maintenance
              }
              preempt_delay 30
              authentication {
                  auth_type PASS
                  auth_pass s3cret
              }
              unicast_src_ip 192.168.13.111
              unicast_peer {
                  192.168.13.114
              }
              virtual_ipaddress {
                  192.168.13.100/32 dev ens33 label ens33:2
                  192.168.13.101/32 dev ens33 label ens33:3
              }
              virtual_ipaddress_excluded {
                  2001:db8::100/128 dev ens33 -nodad
                  2001:db8::200/128 dev ens33 -nodad
              }
          }

          virtual_server 192.168.13.100 80 {
              lvs_sched rr
              lvs_method DR
              protocol TCP
              delay_loop 3
              quorum 1
              real_server 192.168.13.112 80 {
                  weight 1
                  HTTP_GET {
                      url {
                          path /health?full=1
                          status_code 204
                      }
                      connect_timeout 3
                      retry 1
                      delay_before_retry 1
                      connect_port 8080
                  }
              }
              real_server 192.168.13.113 80 {
                  weight 1
                  HTTP_GET {
                      url {
                          path /health?full=1
                          status_code 204
                      }
                      connect_timeout 3
                      retry 1
                      delay_before_retry 1
                      connect_port 8080
                  }
              }
          }

          virtual_server 192.168.13.101 443 {
              lvs_sched sh
              sh-fallback
              sh-port
              lvs_method DR
              protocol TCP
              persistence_timeout 600
              persistence_granularity 255.255.255.0
              delay_loop 6
              quorum 2
              sorry_server 192.168.13.120 443
              real_server 192.168.13.112 443 {
                  weight 2
                  uthreshold 100
                  lthreshold 10
                  TCP_CHECK {
                      connect_timeout 2.5
                      retry 2
                      delay_before_retry 0.5
                      connect_ip 192.168.13.130
                  }
              }
              real_server 192.168.13.113 443 {
                  weight 1
                  lvs_method TUN type gue port 6080 csum
                  TCP_CHECK {
                      connect_timeout 2.5
                      retry 2
                      delay_before_retry 0.5
                      connect_ip 192.168.13.130
                  }
              }
          }

          virtual_server 2001:db8::100 80 {
              lvs_sched rr
              lvs_method DR
              protocol TCP
              delay_loop 3
              quorum 1
              real_server 2001:db8::21 80 {
                  weight 1
                  HTTP_GET {
                      url {
                          path /health?full=1
                          status_code 204
                      }
                      connect_timeout 3
                      retry 1
                      delay_before_retry 1
                      connect_port 8080
                  }
              }
          }

          virtual_server 192.168.13.101 53 {
              lvs_sched rr
              ops
              lvs_method NAT
              protocol UDP
              delay_loop 6
              real_server 192.168.13.112 5353 {
                  weight 1
                  MISC_CHECK {
                      misc_path "/usr/local/bin/check-dns --port=53"
                      misc_timeout 2
                      retry 1
                      delay_before_retry 1
                  }
              }
              real_server 192.168.13.113 5353 {
                  weight 0
                  MISC_CHECK {
                      misc_path "/usr/local/bin/check-dns --port=53"
                      misc_timeout 2
                      retry 1
                      delay_before_retry 1
                  }
              }
          }

          virtual_server fwmark 7 {
              lvs_sched mh
              mh-port
              lvs_method DR
              ip_family inet6
              persistence_timeout 60
              persistence_granularity 64
              delay_loop 6
              real_server 2001:db8::21 0 {
                  weight 1
                  TCP_CHECK {
                      connect_timeout 3
                      retry 1
                      delay_before_retry 1
                      connect_port 80
                  }
              }
          }
          "
        `);
    });

    it("writes both nodes' own interface, priority and unicast addresses", () => {
        expect(d2.conf).toContain("    interface ens34\n    virtual_router_id 42\n    priority 100\n");
        expect(d2.conf).toContain("192.168.13.100/32 dev ens34 label ens34:2");
        expect(d2.conf).toContain("unicast_src_ip 192.168.13.114\n    unicast_peer {\n        192.168.13.111\n    }");
    });

    it("starts both nodes as BACKUP when preemption waits (preempt_delay or nopreempt), as keepalived requires", () => {
        expect([d1.keepalived.vrrp?.state, d2.keepalived.vrrp?.state]).toEqual(["BACKUP", "BACKUP"]);
        const [a, b] = pairNodes(fullCluster({ preemptDelay: undefined, nopreempt: true }));
        expect([a.keepalived.vrrp?.state, b.keepalived.vrrp?.state]).toEqual(["BACKUP", "BACKUP"]);
        expect(a.conf).toContain("    nopreempt\n");
        expect(a.conf).not.toContain("preempt_delay");
        const [m, s] = pairNodes(fullCluster({ preemptDelay: undefined, nodes: [{ host: "d1", priority: 100 }, { host: "d2", priority: 200 }] }));
        expect([m.keepalived.vrrp?.state, s.keepalived.vrrp?.state]).toEqual(["BACKUP", "MASTER"]);
        expect(m.conf).not.toMatch(/nopreempt|preempt_delay/);
    });

    it("runs the sync daemon on the node's interface only when syncConnections is on, and multicast without unicast", () => {
        const [a, b] = pairNodes(fullCluster({ syncConnections: true, unicast: false, authentication: undefined }));
        expect(a.conf).toContain("    lvs_sync_daemon ens33 edge\n");
        expect(b.conf).toContain("    lvs_sync_daemon ens34 edge\n");
        expect(a.conf).not.toMatch(/unicast|authentication|auth_pass/);
        expect(d1.conf).not.toContain("lvs_sync_daemon");
    });

    it("switches maintenance by the watched file alone: a node's config is the same in and out of maintenance, so no reload", () => {
        const nodes = (maintenance: boolean) => pairNodes(fullCluster({ nodes: [{ host: "d1", priority: 200, maintenance }, { host: "d2", priority: 100 }] }));
        const [out] = nodes(false);
        const [inMaintenance] = nodes(true);
        expect(inMaintenance.conf).toBe(out.conf);
        expect(out.conf).toContain('track_file pulumi_lvs_maintenance {\n    file "/var/lib/pulumi-lvs/keepalived.maintenance"\n    weight 0\n}\n');
        expect(out.conf).toMatch(/vrrp_instance edge \{[^]*\n {4}track_file \{\n {8}pulumi_lvs_maintenance\n {4}\}\n/);
        expect([inMaintenance.steps.keepalived.config.create, out.steps.keepalived.config.create].map((s) => /printf '%s\\n' (\d) > \/var\/lib\/pulumi-lvs\/keepalived\.maintenance\.tmp/.exec(s)?.[1])).toEqual(["1", "0"]);
    });

    it("has the kernel sync every connection with traffic every SYNC_REFRESH_SECONDS when syncConnections is on (not every 50th packet)", () => {
        const [a] = pairNodes(fullCluster({ syncConnections: true }));
        expect(a.steps.sysctl.create).toContain(`net/ipv4/vs/sync_threshold = 3 0\nnet/ipv4/vs/sync_refresh_period = ${SYNC_REFRESH_SECONDS}\n`);
        expect(a.steps.sysctl.create).toMatch(new RegExp(`\\nsysctl -q -w net/ipv4/vs/expire_nodest_conn=1 .*'net/ipv4/vs/sync_threshold=3 0' net/ipv4/vs/sync_refresh_period=${SYNC_REFRESH_SECONDS}\\n`));
        const [off] = pairNodes(fullCluster({ syncConnections: false }));
        expect(off.steps.sysctl.create).not.toMatch(/sync_threshold|sync_refresh_period/);
    });

    it("speaks IPv6 VRRP when every VIP is IPv6, without labels", () => {
        const spec = fullCluster({ vipGroups: ["mark"], unicast: false });
        const [a] = pairNodes(spec);
        expect(a.conf).toContain("    virtual_ipaddress {\n        2001:db8::200/128 dev ens33 -nodad\n    }\n");
        expect(a.conf).not.toContain("virtual_ipaddress_excluded");
    });

    it("always writes lvs_method and, when set, persistence (keepalived's defaults differ from ipvsadm's)", () => {
        for (const block of d1.conf.split("virtual_server ").slice(1)) expect(block).toMatch(/\n {4}lvs_method (DR|NAT|TUN)/);
        expect(d1.conf).not.toMatch(/persistence_timeout\n/);
        expect(d1.conf.match(/persistence_timeout \d+/g)).toEqual(["persistence_timeout 600", "persistence_timeout 60"]);
    });
});

describe("checks-only mode (Director with healthChecks)", () => {
    it("has no VRRP and no VIPs, only global_defs and the virtual servers", () => {
        const spec = parseCluster(clusterOf("seed-002"));
        const web = groupView(spec.hosts, spec.vipGroups[0]);
        const model = directorModel("director1", "192.168.13.111", "ens33", 0, [web]);
        const conf = renderKeepalived({ routerId: "director1", owner: "Director director1", ruleset: model.ruleset, checks: mergeChecks([web]) });
        expect(conf.split("\n").slice(0, 7)).toEqual([
            "# Managed by pulumi-lvs (Director director1, host director1). Changes here are overwritten; destroy restores the previous file.",
            "# Checks only: no VRRP; the Director keeps its VIPs itself.",
            "",
            "global_defs {",
            "    router_id director1",
            "}",
            "",
        ]);
        expect(conf).not.toMatch(/vrrp|virtual_ipaddress|lvs_sync_daemon/);
        expect(conf).toContain("virtual_server 192.168.13.100 80 {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    delay_loop 6\n");
        expect(conf.match(/TCP_CHECK/g)).toHaveLength(2);
    });

    it("writes a service without a health check as static real servers (no checker, no delay_loop)", () => {
        const c = clusterOf("seed-002");
        delete c.vipGroups[0].services[0].healthCheck;
        const spec = parseCluster(c);
        const web = groupView(spec.hosts, spec.vipGroups[0]);
        const conf = renderKeepalived({ routerId: "d", owner: "Director d", ruleset: web.ruleset, checks: mergeChecks([web]) });
        expect(conf).not.toMatch(/delay_loop|_CHECK|HTTP_GET/);
        expect(conf).toContain("    real_server 192.168.13.112 80 {\n        weight 1\n    }\n");
    });
});

describe("sorry servers", () => {
    it("writes a fwmark service's sorry server without a port (keepalived refuses one there) and a port service's with its port", () => {
        const spec = parseCluster({
            hosts: { d1: host("192.168.13.111"), d2: host("192.168.13.114"), rs1: host("192.168.13.112") },
            vipGroups: [
                {
                    name: "web",
                    vips: ["192.168.13.100"],
                    services: [
                        { fwmark: 7, healthCheck: { type: "tcp", connectPort: 80 }, sorryServer: { address: "192.168.13.120" }, realServers: [{ host: "rs1" }] },
                        { protocol: "tcp", port: 443, healthCheck: { type: "tcp" }, sorryServer: { address: "192.168.13.120", port: 443 }, realServers: [{ host: "rs1" }] },
                    ],
                },
            ],
            haPairs: [{ name: "edge", virtualRouterId: 42, vipGroups: ["web"], nodes: [{ host: "d1", priority: 100 }, { host: "d2", priority: 90 }] }],
            realServers: [{ host: "rs1" }],
        });
        const [node] = pairNodes(spec);
        const sorry = node.conf.split("\n").filter((l) => l.includes("sorry_server")).map((l) => l.trim());
        expect(sorry).toEqual(["sorry_server 192.168.13.120 443", "sorry_server 192.168.13.120"]);
    });
});
