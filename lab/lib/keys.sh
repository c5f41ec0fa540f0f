# SSH identities of the lab: one client key pair per lab, one host key per VM generated here
# before the VM boots (qemu hands it over through fw_cfg), so the known_hosts the lab writes
# pins every host key without ever trusting a first connection.
# shellcheck shell=bash

lab_ssh_dir() { echo "$LAB_STATE/ssh"; }
lab_client_key() { echo "$LAB_STATE/ssh/id_ed25519"; }
lab_known_hosts() { echo "$LAB_STATE/ssh/known_hosts"; }
lab_ssh_config() { echo "$LAB_STATE/ssh/config"; }
host_key_file() { echo "$LAB_STATE/vms/$1/ssh_host_ed25519_key"; }

keys_ensure() {
    local name
    mkdir -p "$(lab_ssh_dir)"
    chmod 700 "$(lab_ssh_dir)"
    [ -f "$(lab_client_key)" ] || ssh-keygen -q -t ed25519 -N '' -C "lvslab-client" -f "$(lab_client_key)"
    for name in $(lab_host_names); do
        mkdir -p "$LAB_STATE/vms/$name"
        [ -f "$(host_key_file "$name")" ] || ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$(host_key_file "$name")"
    done
}

host_public_key() { cut -d' ' -f1,2 < "$(host_key_file "$1").pub"; }

# known_hosts and an ssh_config, so `ssh -F <config> rs1` works with host keys checked.
ssh_files_write() {
    local name known config
    known=$(lab_known_hosts)
    config=$(lab_ssh_config)
    : > "$known.tmp"
    {
        echo "# Written by lab/lab.sh: the lab's hosts, reachable from inside netns $LAB_NETNS"
        echo "# (ip netns exec $LAB_NETNS ssh -F $config <host>) or via 127.0.0.1 forwards."
    } > "$config.tmp"
    for name in $(lab_host_names); do
        lab_host "$name"
        echo "$name,$host_addr $(host_public_key "$name")" >> "$known.tmp"
        echo "[127.0.0.1]:$(forward_port "$name") $(host_public_key "$name")" >> "$known.tmp"
        cat >> "$config.tmp" <<CONF
Host $name
    HostName $host_addr
    HostKeyAlias $name
CONF
    done
    cat >> "$config.tmp" <<CONF
Host *
    User root
    Port 22
    IdentityFile $(lab_client_key)
    IdentitiesOnly yes
    UserKnownHostsFile $known
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
    ServerAliveInterval 5
    ServerAliveCountMax 3
    LogLevel ERROR
    # One login per host, reused by every command for 30 s after the last: a login costs a TCG
    # guest about a CPU-second, a command on an open connection a fork. The lab's fault hooks
    # close a host's connection before they take it away (vm.sh mux_close).
    ControlMaster auto
    ControlPath $(lab_ssh_dir)/mux-%n
    ControlPersist 30
CONF
    mv "$known.tmp" "$known"
    mv "$config.tmp" "$config"
}
