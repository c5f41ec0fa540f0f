import { describe, expect, it } from "vitest";
import { canonicalAddress, compareAddresses, splitAddrPort, tryParseAddress } from "../../components/base/address";
import { canonicalNetmask } from "../../components/base/netmask";
import { ipAddress } from "../../components/schema/common";
import { parseCluster } from "../../components/schema/cluster";
import { groupView } from "../../components/core/host/cluster-model";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";

describe("addresses in ipvsadm's printed form", () => {
    it.each([
        ["192.168.13.100", "192.168.13.100"],
        ["0.0.0.0", "0.0.0.0"],
        ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
        ["2001:0db8::0001", "2001:db8::1"],
        ["::", "::"],
        ["::1", "::1"],
        ["1::", "1::"],
        ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
        ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
        ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
        ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
        ["::ffff:a00:1", "::ffff:10.0.0.1"],
        ["::10.0.0.1", "::10.0.0.1"],
        ["::0.0.0.1", "::1"],
        ["fe80::1:0:0:1", "fe80::1:0:0:1"],
    ])("%s -> %s", (input, want) => {
        expect(canonicalAddress(input)).toBe(want);
    });

    it.each(["1.2.3", "01.2.3.4", "1.2.3.256", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::ffff:1.2.3.256", ":1", "[::1]", "host.example", ""])(
        "refuses %j",
        (input) => {
            expect(tryParseAddress(input)).toBeUndefined();
            expect(() => canonicalAddress(input)).toThrow(/invalid IP address/);
        },
    );

    it("splits ADDR:PORT the way ipvsadm reads -t and -r", () => {
        expect(splitAddrPort("10.0.0.1:80")).toEqual({ address: "10.0.0.1", port: 80 });
        expect(splitAddrPort("10.0.0.1")).toEqual({ address: "10.0.0.1" });
        expect(splitAddrPort("[2001:DB8::1]:443")).toEqual({ address: "2001:db8::1", port: 443 });
        expect(splitAddrPort("2001:db8::1")).toEqual({ address: "2001:db8::1" });
        expect(splitAddrPort("[2001:db8::1]")).toBeUndefined();
        expect(splitAddrPort("10.0.0.1:65536")).toBeUndefined();
        expect(splitAddrPort("www.a.org:http")).toBeUndefined();
    });

    it("orders IPv4 before IPv6, numerically", () => {
        const sorted = ["2001:db8::10", "10.0.0.10", "2001:db8::9", "10.0.0.9", "9.0.0.0"].sort(compareAddresses);
        expect(sorted).toEqual(["9.0.0.0", "10.0.0.9", "10.0.0.10", "2001:db8::9", "2001:db8::10"]);
    });

    it("drops host netmasks and checks the family's form", () => {
        expect(canonicalNetmask("inet", "255.255.255.255")).toBeUndefined();
        expect(canonicalNetmask("inet", "255.255.255.0")).toBe("255.255.255.0");
        expect(canonicalNetmask("inet6", "128")).toBeUndefined();
        expect(canonicalNetmask("inet6", "064")).toBe("64");
        expect(() => canonicalNetmask("inet", "24")).toThrow(/dotted quad/);
        expect(() => canonicalNetmask("inet6", "129")).toThrow(/prefix length/);
    });
});

describe("one address model across the layers", () => {
    // IPv4-compatible IPv6: glibc's inet_ntop (and so ipvsadm) prints it in mixed notation.
    const forms = ["::1.2.3.4", "::102:304", "0:0:0:0:0:0:102:304", "::0102:0304"];

    it.each(forms)("%s is ::1.2.3.4 in the leaf, the schema, the cluster model and the ipvs parser", (form) => {
        expect(canonicalAddress(form)).toBe("::1.2.3.4");
        expect(ipAddress.parse(form)).toBe("::1.2.3.4");
        const spec = parseCluster({
            hosts: {},
            vipGroups: [{ name: "g", vips: [form], services: [{ protocol: "tcp", port: 80, realServers: [{ address: form.replace(/4$/, "5") }] }] }],
        });
        expect(spec.vipGroups[0].vips).toEqual(["::1.2.3.4"]);
        expect(Object.keys(toEntries(groupView(spec.hosts, spec.vipGroups[0]).ruleset))).toEqual(["-A -t [::1.2.3.4]:80", "-a -t [::1.2.3.4]:80 -r [::1.2.3.5]:80"]);
        expect(parseSave(`-A -t [${form}]:80 -s rr\n`).services[0].key).toMatchObject({ address: "::1.2.3.4" });
    });
});
