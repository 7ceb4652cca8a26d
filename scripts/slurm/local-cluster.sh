#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the SLURM test and for trying `eadro grid --emit slurm`
# without a cluster (../shared/specs/slurm-local.md, measured on the project machine):
#   bash scripts/slurm/local-cluster.sh start    # munged, slurmctld, slurmd as root; waits for sinfo
#   bash scripts/slurm/local-cluster.sh stop     # stops the three daemons it started, by their pids
#   bash scripts/slurm/local-cluster.sh status   # exit 0 when sinfo answers
# Needs root and Debian's slurm-wlm and munge (scripts/setup-system.sh installs them). State, spool,
# logs and pid files live under $EADRO_SLURM_DIR (default /tmp/eadro-slurm). It writes
# /etc/slurm/slurm.conf (SlurmUser root, one node with this machine's CPUs and memory less 1 GiB).
set -euo pipefail
cmd="${1:-status}"
base="${EADRO_SLURM_DIR:-/tmp/eadro-slurm}"
host="$(hostname -s)"

status() { timeout 10 sinfo -h >/dev/null 2>&1; }

case "$cmd" in
  status)
    status
    ;;
  start)
    if status; then echo "local-cluster: already running"; sinfo; exit 0; fi
    if [ "$(id -u)" -ne 0 ]; then echo "local-cluster: needs root (the daemons run as root)" >&2; exit 2; fi
    for b in munged slurmctld slurmd sbatch; do
      command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || { echo "local-cluster: $b not found; install with: apt-get install -y slurm-wlm munge" >&2; exit 2; }
    done
    mkdir -p "$base"/{spool,state,log} /etc/slurm /run/munge /var/lib/munge /var/log/munge /etc/munge
    [ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
    chmod 400 /etc/munge/munge.key
    if ! pgrep -x munged >/dev/null 2>&1; then
      su -s /bin/sh munge -c "/usr/sbin/munged --pid-file=/run/munge/munged.pid"
      cp /run/munge/munged.pid "$base/munged.pid" 2>/dev/null || true
    fi
    mem=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 1024 ))
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool
SlurmctldLogFile=$base/log/ctld.log
SlurmdLogFile=$base/log/d.log
SlurmctldPidFile=$base/slurmctld.pid
SlurmdPidFile=$base/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    /usr/sbin/slurmctld
    /usr/sbin/slurmd
    for _ in $(seq 1 30); do
      if status && [ -n "$(sinfo -h -o '%t' 2>/dev/null | grep -E 'idle|mix|alloc' || true)" ]; then sinfo; exit 0; fi
      sleep 1
    done
    echo "local-cluster: sinfo did not show an idle node within 30 s; logs in $base/log" >&2
    exit 1
    ;;
  stop)
    for f in "$base/slurmd.pid" "$base/slurmctld.pid" "$base/munged.pid"; do
      if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi
    done
    ;;
  *)
    echo "usage: local-cluster.sh start|stop|status" >&2; exit 2
    ;;
esac
