#!/bin/sh
# scripts/cluster: a 3-node Docker Swarm on this machine, each engine in a network
# namespace of its own on a private bridge (10.213.X.0/24). The nodes Ready with the
# labels of the topology given; the test image loaded from the machine's engine (no
# download); a global service with a host-mode published port answering on each
# node's address with that node's name; an overlay spanning nodes (node 2's task
# reaches node 3's by its overlay address); then down, leaving no namespace, link,
# firewall rule, process, cgroup, mount or file. Prints how long up, load and down
# take. The cleanup runs down whatever happens. About 30 s.
. "$(dirname "$0")/test-lib.sh"

docker_ok || test_skip_all "no Docker engine answers on /var/run/docker.sock (scripts/docker-up)"
for c in docker dockerd ip nsenter unshare iptables; do
	command -v $c >/dev/null || test_skip_all "no $c"
done
[ "$(id -u)" = 0 ] || test_skip_all "needs root"
IMAGE=$("$TOP/t/helper/sched-image" 2>"$TRASH/img.err") || test_skip_all "$(cat "$TRASH/img.err")"

CL="$TOP/scripts/cluster --dir $TRASH/cluster"
TEST_CLEANUP='$CL down'

$CL up 3 --labels "1=control,router,data 2=router,data 3=router,data,zone=c" \
    >"$TRASH/up.out" 2>&1
case $? in
0) ;;
77) test_skip_all "$(tail -n 1 "$TRASH/up.out")" ;;
*) test_expect 'cluster up 3' 'cat "$TRASH/up.out"; false'; test_done; exit 1 ;;
esac
sed 's/^/# /' "$TRASH/up.out"
. "$TRASH/cluster/env"
M=$NODE1_HOST
NS="$NODE1_NETNS $NODE2_NETNS $NODE3_NETNS"

test_expect 'three nodes Ready, node 1 the manager, each with the labels of the topology' '
	docker -H $M node ls &&
	[ "$(docker -H $M node ls --format "{{.Hostname}} {{.Status}} {{.Availability}}" | sort)" = \
	  "$(printf "node1 Ready Active\nnode2 Ready Active\nnode3 Ready Active")" ] &&
	[ "$(docker -H $M node ls --filter role=manager --format "{{.Hostname}}")" = node1 ] &&
	labels() { docker -H $M node inspect -f "{{range \$k, \$v := .Spec.Labels}}{{\$k}}={{\$v}} {{end}}" "$1"; } &&
	[ "$(labels node1)" = "deis.controlPlane=true deis.dataPlane=true deis.routerMesh=true " ] &&
	[ "$(labels node2)" = "deis.dataPlane=true deis.routerMesh=true " ] &&
	[ "$(labels node3)" = "deis.dataPlane=true deis.routerMesh=true zone=c " ]
'

test_expect 'each node has its own address, engine, data root and namespace' '
	for k in 1 2 3; do
		eval "a=\$NODE${k}_ADDR h=\$NODE${k}_HOST n=\$NODE${k}_NETNS" &&
		[ "$(docker -H $h info -f "{{.Swarm.NodeAddr}} {{.Name}} {{.DockerRootDir}}")" = \
		  "$a node$k $TRASH/cluster/n$k/data" ] &&
		ip -n $n -4 -o addr show dev eth0 | grep -q " $a/24 " &&
		[ -z "$(ip -n $n route show default)" ] || exit 1
	done &&
	[ "$(stat -L -c %i /run/netns/$NODE1_NETNS)" != "$(stat -L -c %i /proc/self/ns/net)" ]
'

test_expect 'the test image loads into every node from the machine engine' '
	$CL load "$IMAGE" >"$TRASH/load.out" && sed "s/^/# /" "$TRASH/load.out" >&3 &&
	for k in 1 2 3; do
		eval "h=\$NODE${k}_HOST" && docker -H $h image inspect "$IMAGE" >/dev/null || exit 1
	done
' 3>&1

test_expect 'a global service on an overlay, a host-mode port: every node serves its own task' '
	docker -H $M network create -d overlay --attachable t0730 >/dev/null &&
	docker -H $M service create -q --detach --name web --mode global --endpoint-mode dnsrr \
		--network t0730 --publish mode=host,target=8080,published=8080 \
		--hostname "{{.Node.Hostname}}" "$IMAGE" \
		sh -c "mkdir -p /w && hostname >/w/index.html && exec httpd -f -p 8080 -h /w" >/dev/null &&
	wait_for 60 "[ \$(docker -H $M service ps web --filter desired-state=running --format {{.CurrentState}} | grep -c ^Running) = 3 ]" &&
	docker -H $M service ps web &&
	for k in 1 2 3; do
		eval "a=\$NODE${k}_ADDR" &&
		wait_for 20 "curl -sf -m 2 http://$a:8080/ >/dev/null" &&
		[ "$(curl -sf -m 5 http://$a:8080/)" = node$k ] || exit 1
	done
'

test_expect 'the overlay spans nodes: node 2'"'"'s task reaches node 3'"'"'s by its overlay address' '
	c2=$(docker -H $NODE2_HOST ps -q --filter label=com.docker.swarm.service.name=web) &&
	c3=$(docker -H $NODE3_HOST ps -q --filter label=com.docker.swarm.service.name=web) &&
	ip3=$(docker -H $NODE3_HOST inspect -f "{{(index .NetworkSettings.Networks \"t0730\").IPAddress}}" $c3) &&
	echo "node 3 task at $ip3" &&
	case $ip3 in 10.213.*|"") exit 1 ;; esac &&
	docker -H $NODE2_HOST exec $c2 sh -c "printf \"GET / HTTP/1.0\r\n\r\n\" | nc -w 5 $ip3 8080" >"$TRASH/ov" &&
	cat "$TRASH/ov" && head -n 1 "$TRASH/ov" | grep -q "200 OK" && tail -n 1 "$TRASH/ov" | grep -qx node3
'

HP=$(free_port)
bg_start hostweb python3 -m http.server --bind "$CLUSTER_HOST_ADDR" "$HP" --directory "$TRASH"
test_expect 'nodes reach each other and the host (a registry there would serve them), nothing beyond' '
	$CL exec 2 curl -sf -m 5 http://$NODE3_ADDR:8080/ | grep -qx node3 &&
	wait_for 10 "$CL exec 3 curl -sf -m 2 -o /dev/null http://$CLUSTER_HOST_ADDR:$HP/" &&
	for n in $NS; do
		! ip -n $n route get 192.0.2.1 || exit 1
	done
'

test_expect 'down removes everything: namespaces, links, rules, processes, cgroups, mounts, files' '
	t0=$(date +%s.%N) &&
	$CL down && echo "# cluster down in $(awk -v a=$t0 -v b=$(date +%s.%N) "BEGIN { printf \"%.1f\", b - a }") s" >&3 &&
	for n in $NS; do
		! ip netns list | grep -q "^$n " &&
		! ip link show $n 2>/dev/null &&
		! ls -d /sys/fs/cgroup/*/$n 2>/dev/null || exit 1
	done &&
	! ip link show $CLUSTER_BRIDGE 2>/dev/null &&
	! iptables -S FORWARD | grep -q "deis-cluster-$CLUSTER_BRIDGE" &&
	! grep -q "$TRASH/cluster" /proc/mounts &&
	! grep -qs "$TRASH/[c]luster" /proc/[0-9]*/cmdline &&
	! grep -Eqs "/($(echo $NS | tr " " "|"))(/|$)" /proc/[0-9]*/cgroup &&
	[ ! -e "$TRASH/cluster" ] &&
	docker -H unix:///var/run/docker.sock version >/dev/null
' 3>&1

test_done
