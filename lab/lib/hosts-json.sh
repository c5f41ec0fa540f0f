# Writes .lab/hosts.json: what a stack (or a test) needs to reach the lab's hosts.
# Format documented in lab/README.md. Values are plain addresses, names, paths and keys
# (no quotes or backslashes), so printf is enough to produce valid JSON.
# shellcheck shell=bash

hosts_json_write() {
    local name first=1 tmp
    mkdir -p "$(dirname "$LAB_HOSTS_JSON")"
    tmp="$LAB_HOSTS_JSON.tmp"
    {
        printf '{\n'
        printf '  "version": 1,\n'
        printf '  "netns": "%s",\n' "$LAB_NETNS"
        printf '  "subnet": "%s.0/%s",\n' "$LAB_SUBNET_PREFIX" "$LAB_PREFIX_LEN"
        printf '  "vip": "%s",\n' "$LAB_VIP"
        printf '  "interface": "ens33",\n'
        printf '  "client": { "address": "%s", "publicAddress": "%s", "address6": "%s", "command": ["ip", "netns", "exec", "%s"] },\n' "$LAB_CLIENT_ADDR" "$LAB_PUBLIC_CLIENT_ADDR" "$LAB_V6_CLIENT_ADDR" "$LAB_NETNS"
        printf '  "publicSubnet": "%s.0/%s",\n' "$LAB_PUBLIC_PREFIX" "$LAB_PUBLIC_PREFIX_LEN"
        printf '  "privateSubnet": "%s/%s",\n' "$LAB_PRIVATE_SUBNET" "$LAB_PRIVATE_PREFIX_LEN"
        printf '  "privateKeyPath": "%s",\n' "$(lab_client_key)"
        printf '  "knownHostsPath": "%s",\n' "$(lab_known_hosts)"
        printf '  "sshConfigPath": "%s",\n' "$(lab_ssh_config)"
        printf '  "hosts": [\n'
        for name in $(lab_host_names); do
            lab_host "$name"
            [ "$first" = 1 ] || printf ',\n'
            first=0
            printf '    {\n'
            printf '      "name": "%s",\n' "$name"
            printf '      "role": "%s",\n' "$host_role"
            printf '      "address": "%s",\n' "$host_addr"
            printf '      "address6": "%s",\n' "$host_addr6"
            [ -z "$host_private" ] || printf '      "privateAddress": "%s",\n' "$host_private"
            [ -z "$host_public" ] || printf '      "publicAddress": "%s",\n' "$host_public"
            printf '      "port": 22,\n'
            printf '      "user": "root",\n'
            printf '      "privateKeyPath": "%s",\n' "$(lab_client_key)"
            printf '      "hostPublicKey": "%s",\n' "$(host_public_key "$name")"
            printf '      "knownHostsLine": "%s %s",\n' "$host_addr" "$(host_public_key "$name")"
            printf '      "forward": { "host": "127.0.0.1", "port": %s }\n' "$(forward_port "$name")"
            printf '    }'
        done
        printf '\n  ]\n}\n'
    } > "$tmp"
    mv "$tmp" "$LAB_HOSTS_JSON"
}
