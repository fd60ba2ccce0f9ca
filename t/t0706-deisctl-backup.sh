#!/bin/sh
# The control plane's node gone for good, on one host: `deisctl backup` of a running platform
# (PostgreSQL; t0707 runs it on SQLite), then everything of the platform removed (the app's
# containers and images, `uninstall --purge`: volumes, state dir), `deisctl restore` and
# `deisctl start platform`. Checked: the refusals (no directory, an existing one, a restore
# over an installed platform or a volume holding data, a directory that is no backup), the backup's files and modes
# (0700, 0600: it holds the secrets), and after the restore the same user and token, SSH key,
# app, releases and config, the builder's SSH host key, the app served again from the
# restored images, and a new git push deploying. Every wait is bounded; everything is
# removed at the end. About 4 minutes.
E2E_NAME=bk
DEIS_E2E_DB=${DEIS_E2E_DB:-postgres}
. "$(dirname "$0")/test-lib.sh"
. "$TOP/t/helper/e2e-platform"
DK=bk-dk-$$
BK=$TRASH/backup

TEST_CLEANUP='docker ps -aq --filter label=sh.deis.app=$DK | xargs -r docker rm -f >/dev/null 2>&1;
 docker images -q 127.0.0.1:$REG/$DK | xargs -r docker rmi -f >/dev/null 2>&1;
 deisctl uninstall --purge platform >/dev/null 2>&1'

hostkey() {
	ssh-keyscan -t ed25519 -p "$SSHP" 127.0.0.1 2>/dev/null | awk '{ print $3 }'
}

test_expect 'platform images build (stack + platform)' 'e2e_images'
test_expect "deisctl install + start an isolated platform (database: $DB)" 'e2e_up'

test_expect 'a user with a key, a Dockerfile app pushed, a config value: served' '
	deis register $CTLURL --username=bk --password=bk-pass-1 --email=bk@example.com &&
	ssh-keygen -q -t ed25519 -N "" -C bk@test -f "$KEY" && deis keys:add "$KEY.pub" &&
	repo dockerfile-web dk && (cd "$TRASH/dk" && deis create $DK --no-remote) &&
	push "$TRASH/dk" $DK &&
	deis config:set POWERED_BY=the-backup -a $DK &&
	wait_for 60 "app_get $DK | grep -q \"powered by the-backup\"" &&
	deis releases -a $DK | grep -c "^v[0-9]" >"$TRASH/releases" &&
	hostkey >"$TRASH/hostkey" && [ -s "$TRASH/hostkey" ]
'

test_expect 'backup refuses no directory and an existing one' '
	{ deisctl backup; test $? = 2; } &&
	mkdir "$TRASH/there" && ! deisctl backup "$TRASH/there" 2>"$TRASH/err" &&
	grep -q "a backup goes to a new directory" "$TRASH/err"
'

test_expect 'backup: the state, the database and the images, readable only by root' '
	deisctl backup "$BK" >"$TRASH/out" && cat "$TRASH/out" &&
	grep -q "backup of platform .$PREFIX. in" "$TRASH/out" &&
	[ "$(stat -c %a "$BK")" = 700 ] &&
	for f in manifest.json state.tar registry.tar; do [ -s "$BK/$f" ] || exit 1; done &&
	if [ "$DB" = postgres ]; then f=database.dump; else f=controller.db; fi &&
	[ "$(stat -c %a "$BK/$f")" = 600 ] && [ "$(stat -c %a "$BK/state.tar")" = 600 ] &&
	jq -e ".format == 1 and .database == \"$DB\" and .store == \"filesystem\"" "$BK/manifest.json" &&
	tar -tf "$BK/state.tar" >"$TRASH/state.list" &&
	grep -qx "./internal-token" "$TRASH/state.list" && grep -qx "./config.json" "$TRASH/state.list" &&
	! grep -q "^./builder-lib/" "$TRASH/state.list" &&
	tar -tf "$BK/registry.tar" | grep -q "repositories/$DK/"
'

test_expect 'restore refuses an installed platform and a directory that is no backup' '
	! deisctl restore "$BK" 2>"$TRASH/err" && grep -q "a platform is installed here" "$TRASH/err" &&
	! deisctl restore "$TRASH/there" 2>"$TRASH/err" && grep -q "is not a deisctl backup" "$TRASH/err" &&
	deisctl status platform >/dev/null
'

test_expect 'the node gone: the app and the platform removed, volumes and state too' '
	docker ps -aq --filter label=sh.deis.app=$DK | xargs -r docker rm -f >/dev/null &&
	docker images -q 127.0.0.1:$REG/$DK | xargs -r docker rmi -f >/dev/null &&
	deisctl uninstall --purge platform >/dev/null &&
	[ ! -e "$STATE/internal-token" ] &&
	[ -z "$(docker volume ls -q --filter name=^$PREFIX-)" ] &&
	! app_get $DK
'

test_expect 'restore refuses a database volume that holds data, and changes nothing' '
	docker volume create $PREFIX-database >/dev/null &&
	docker run --rm -v $PREFIX-database:/d --entrypoint sh $IMAGE -c "touch /d/leftover" &&
	! deisctl restore "$BK" 2>"$TRASH/err" && cat "$TRASH/err" &&
	grep -q "the volume $PREFIX-database holds data already" "$TRASH/err" &&
	[ ! -e "$STATE/internal-token" ] &&
	docker volume rm $PREFIX-database >/dev/null
'

test_expect 'restore, then start: the same user, app, releases, config, key and host key' '
	deisctl restore "$BK" >"$TRASH/out" && cat "$TRASH/out" &&
	grep -q "start it with .deisctl start platform." "$TRASH/out" &&
	deisctl start platform >/dev/null &&
	deis whoami | grep -q "bk at" &&
	deis apps:list | grep -qx "$DK" &&
	deis config -a $DK | grep -q "POWERED_BY *the-backup" &&
	[ "$(deis releases -a $DK | grep -c "^v[0-9]")" = "$(cat "$TRASH/releases")" ] &&
	deis keys:list | grep -q bk@test &&
	[ "$(hostkey)" = "$(cat "$TRASH/hostkey")" ]
'

test_expect 'the app is served again, from the restored images' '
	wait_for 120 "app_get $DK | grep -q \"powered by the-backup\""
'

test_expect 'a new git push deploys' '
	sed -i "s/Hello from/Hi again from/" "$TRASH/dk/server.py" &&
	(cd "$TRASH/dk" && $GIT commit -qam "after the restore") &&
	push "$TRASH/dk" $DK &&
	wait_for 60 "app_get $DK | grep -q \"Hi again from\""
'

test_done
