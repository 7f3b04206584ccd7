"""The UI's own words in Japanese and English, and its keys: one catalogue, one key table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from maillab_tui.lab.progress import StepState
from maillab_tui.text import Localized, t

S: Mapping[str, Localized] = {
    # header and panes
    "steps": t("ステップ", "Steps"),
    "log": t("メールログ", "Mail log"),
    "output": t("コマンドの出力", "Command output"),
    "output.idle": t("コマンドの出力（r で実行）", "Command output (r runs)"),
    "checks": t("チェック結果", "Check results"),
    "done.count": t("{done}/{total} 完了", "{done}/{total} done"),
    "host": t("役割", "role"),
    "free": t("講師モード", "instructor mode"),
    # step states (icon and word: never colour alone)
    "state.not-started": t("未", "todo"),
    "state.done": t("完了", "done"),
    "state.failed": t("失敗", "failed"),
    "state.skipped": t("スキップ", "skipped"),
    "gate.hard": t("チェック必須", "checks required"),
    "gate.soft": t("チェック任意", "checks optional"),
    "gate.none": t("チェックなし", "no checks"),
    "gate.open": t("次へ進めます（n）", "you may go on (n)"),
    "gate.closed": t("合格するまで次へ進めません（実行して c）",
                     "pass the checks to go on (run, then c)"),
    "gate.nochecks": t("このステップにチェックはありません。n で次へ",
                       "this step has no checks; n goes on"),
    "gate.last": t("最後のステップです", "this is the last step"),
    "gate.check-button": t("チェック c", "Check c"),
    "gate.next-button": t("次へ ▶", "Next ▶"),
    # a dialogue's script on its card, and the output pane's notes
    "script.end": t("（終了）", "(the end)"),
    "script.shows": t("画面", "shows"),
    "script.type": t("入力", "type"),
    "run.password-typed": t("（パスワードを入力しました）", "(password typed)"),
    "quit.how": t("終了するには ctrl+q", "ctrl+q quits the lab"),
    # commands
    "cmd.run": t("▶ 実行", "▶ Run"),
    "cmd.autopilot": t("▶ 自動で実行", "▶ Run the script"),
    "cmd.interactive": t("⌨ 自分で操作", "⌨ Drive it yourself"),
    "cmd.edit": t("✎ エディターで開く", "✎ Open the editor"),
    "cmd.terminal": t("▶ 端末で実行", "▶ Run in the terminal"),
    "cmd.copy": t("コピー", "Copy"),
    "cmd.kind.dialogue": t("対話: 自動で台本どおりに入力するか、自分で入力します",
                           "dialogue: the script types for you, or you type yourself"),
    "cmd.kind.edit": t("エディターが端末全体で開きます。保存して終了すると戻ります",
                       "the editor gets the whole terminal; save and quit to come back"),
    "cmd.kind.terminal": t("端末全体を使うプログラムです。終了すると戻ります",
                           "a full-screen program; it returns here when it exits"),
    "cmd.kind.follow": t("止めるまで動き続けます（ctrl+c で停止）",
                         "runs until you stop it (ctrl+c)"),
    "cmd.kind.password": t("パスワードを聞かれたら入力欄が開きます",
                           "a password prompt opens an input box"),
    "cmd.as": t("{user} として実行", "runs as {user}"),
    "cmd.status.idle": t("未実行", "not run"),
    "cmd.status.running": t("実行中…（ctrl+c で停止）", "running… (ctrl+c stops)"),
    "cmd.status.ok": t("✔ 完了", "✔ done"),
    "cmd.status.failed": t("✘ 失敗", "✘ failed"),
    "cmd.status.skipped": t("↷ 実行済み", "↷ already done"),
    "cmd.status.cancelled": t("■ 中止", "■ stopped"),
    "cmd.status.timeout": t("⌛ 時間切れ", "⌛ timed out"),
    "cmd.status.error": t("✘ エラー", "✘ error"),
    "cmd.status.stopped": t("■ 停止", "■ stopped"),
    "copied": t("コピーしました: {text}", "copied: {text}"),
    "busy": t("コマンドを実行中です。止めるには ctrl+c", "a command is running; ctrl+c stops it"),
    "no.command": t("このステップに実行するコマンドはありません",
                    "this step has no command to run"),
    "stopping": t("停止しています…", "stopping…"),
    "interactive.hint": t("入力して Enter で送信、ctrl+d で入力の終わり（EOF）、ctrl+c で停止",
                          "type and press Enter to send, ctrl+d ends input (EOF), ctrl+c stops"),
    "interactive.script": t("台本（この順に表示・入力します）:",
                            "the script (what you will see and type):"),
    "terminal.unsupported": t("この環境では端末を切り替えられません",
                              "cannot hand over the terminal here"),
    "terminal.back": t("端末から戻りました（終了コード {code}）",
                       "back from the terminal (exit status {code})"),
    # checks
    "check.running": t("確認中…", "checking…"),
    "log.sudo": t("メールログは root だけが読めます。sudo で表示します",
                  "the mail log is readable by root only: showing it through sudo"),
    "log.sudo-prompt": t("メールログを sudo で表示します（sudo tail -f と同じです）。"
                         "[sudo] のパスワード:",
                         "the mail log is shown through sudo (as sudo tail -f). "
                         "[sudo] password:"),
    "check.sudo": t("このチェックは root 権限で確かめます。[sudo] のパスワード:",
                    "this check looks as root. [sudo] password:"),
    "check.waiting": t("待機中 {now}/{total} 秒", "waiting {now}/{total} s"),
    "check.pass": t("✔ 合格", "✔ pass"),
    "check.fail": t("✘ 不合格", "✘ fail"),
    "check.error": t("⚠ 確認できず", "⚠ error"),
    "check.skip": t("－ 対象外", "－ n/a"),
    "check.evidence": t("根拠", "evidence"),
    "check.cause": t("原因", "cause"),
    "check.hint": t("ヒント", "hint"),
    "check.none": t("このステップにチェックはありません", "this step has no checks"),
    "check.passed": t("合格です！ n で次のステップへ", "passed! n goes to the next step"),
    "check.failed": t("チェックに合格していません。結果の「原因」と「ヒント」を見て直してから、"
                      "もう一度 c",
                      "not passed yet: fix what the cause and hint say, then press c again"),
    "check.soft": t("合格していませんが、このステップは先に進めます",
                    "not passed, but this step lets you go on"),
    "recheck.failed": t("再確認: 「{title}」のチェックが通らなくなりました"
                        "（再起動で元に戻った可能性があります）",
                        "re-check: '{title}' no longer passes (a reboot may have undone it)"),
    "recheck.running": t("完了したステップを再確認しています…", "re-checking finished steps…"),
    "recheck.ok": t("完了したステップはすべて今も合格です", "every finished step still passes"),
    # navigation and skipping
    "gate.blocked": t("まだ次へ進めません: このステップのチェックに合格してください（c）",
                      "you cannot go on yet: pass this step's checks (c)"),
    "first.step": t("最初のステップです", "this is the first step"),
    "skip.not": t("このステップはスキップできません", "this step cannot be skipped"),
    "skip.confirm": t("「{title}」を自動で実行し、スキップとして記録しますか？"
                      "（合格とは記録されません）",
                      "run '{title}' for you and record it as skipped (not as passed)?"),
    "skip.done": t("スキップしました（解答のコマンドを実行済み）",
                   "skipped (the solution was run)"),
    "skip.failed": t("解答のコマンドが失敗しました: {why}", "the solution failed: {why}"),
    "resumed": t("前回の続き（{title}）から始めます", "continuing where you left off ({title})"),
    "host.remembered": t("前回の役割 {host} を使います", "using the role from last time: {host}"),
    # log pane
    "log.separator": t("━━ ▶ {title}（{time} 開始）", "━━ ▶ {title} (started {time})"),
    "log.dropped": t("… 表示が追いつかず {count} 行を省略しました",
                     "… {count} lines skipped to keep up"),
    "log.off": t("ログを表示していません", "the log is not shown"),
    "log.nothing": t("説明できる行がありません。ログ欄で ↑↓ で行を選んでから e",
                     "no line to explain: pick one with ↑↓ in the log pane, then e"),
    "log.unknown": t("この行は、よくあるメッセージの一覧にありません。"
                     "行の後半（括弧の中）が理由です。",
                     "this line is not one of the known messages; its end (in brackets) says why."),
    "log.problems": t("このステップ: {counts}", "this step: {counts}"),
    "log.paused": t("↑ スクロール中（End で追従）", "↑ scrolled (End follows)"),
    # modals
    "password.title": t("パスワードの入力", "Password"),
    "password.sudo": t("sudo のパスワード（あなたのログインパスワード）を入力してください",
                       "sudo asks for your password (the one you log in with)"),
    "password.new": t("設定するパスワードを入力してください（教科書の値は本文を見てください）",
                      "type the password to set (the chapter text gives the value)"),
    "password.other": t("プログラムがパスワードを求めています", "the program asks for a password"),
    "password.attempt": t("（{n} 回目）", "(try {n})"),
    "password.note": t("入力した文字は表示されず、記録もされません",
                       "what you type is neither shown nor recorded"),
    "ok": t("OK", "OK"),
    "cancel": t("キャンセル", "Cancel"),
    "yes": t("はい", "Yes"),
    "no": t("いいえ", "No"),
    "close": t("閉じる（Esc）", "Close (Esc)"),
    "quit.running": t("コマンドを実行中です。止めて終了しますか？",
                      "a command is running: stop it and quit?"),
    "host.title": t("このマシンはどちらですか？", "Which lab machine is this?"),
    "host.why": t("ホスト名とアドレスから判断できませんでした。"
                  "選んだ役割は記録され、次回から使われます。",
                  "its host name and addresses did not tell; the role you choose is remembered."),
    "platform.title": t("このマシンの OS はどれですか？", "Which system is this machine?"),
    "explain.title": t("ログの行の説明", "What this log line means"),
    "help.title": t("キー操作", "Keys"),
    "help.intro": t(
        "左: ステップの一覧、中央: 今のステップ（1つずつ表示）とコマンドの出力、"
        "右または下: メールログ。コマンドは Run で実行し、c でこのマシンの状態を確かめます。",
        "Left: the steps; middle: the current step (one at a time) and the command output; "
        "right or below: the mail log. Run the commands, then c checks this machine."),
    "help.states": t("状態: ✔ 完了  ✘ 失敗  ↷ スキップ  ・ 未（色だけでなく記号と文字で示します）",
                     "states: ✔ done  ✘ failed  ↷ skipped  · todo "
                     "(shown by symbol and word, not colour)"),
    "help.log": t("ログ: [拒否] [警告] [エラー] [致命的] [保留] [返送] [送信済] "
                  "などの印が付きます。",
                  "log: lines are marked [REJECT] [WARNING] [ERROR] [FATAL] [DEFERRED] "
                  "[BOUNCED] [SENT] ..."),
    "progress.saved.broken": t("進み具合", "progress"),
    "language.switched": t("日本語で表示します", "now in English"),
    "no.en": t("この章にはまだ英語版がありません（日本語で表示します）",
               "this chapter has no English text yet (shown in Japanese)"),
    "secrets.shown": t("秘密の値を表示しています（v で隠す）",
                       "secret values are shown (v hides them)"),
    "secrets.hidden": t("秘密の値を隠しました", "secret values are hidden"),
}


def tr(key: str, language: str, **values: object) -> str:
    """The UI text `key` in `language`, with `{name}` fields filled in."""
    text = S[key].get(language)
    return text.format(**values) if values else text


STATE_ICONS: Mapping[StepState, str] = {
    StepState.NOT_STARTED: "・",
    StepState.DONE: "✔",
    StepState.FAILED: "✘",
    StepState.SKIPPED: "↷",
}


def state_label(state: StepState, language: str) -> str:
    """A step state as icon and word, e.g. `✔ 完了`."""
    return f"{STATE_ICONS[state]} {tr('state.' + str(state), language)}"


@dataclass(frozen=True)
class Key:
    """One key: what it does, its words in both languages, and whether the footer shows it."""

    keys: str
    action: str
    label: Localized
    show: bool = True
    key_display: str | None = None
    priority: bool = False
    palette: bool = True


KEYS: tuple[Key, ...] = (
    Key("f1,question_mark", "help", t("ヘルプ", "Help"), key_display="F1"),
    Key("r", "run", t("実行", "Run")),
    Key("c", "check", t("チェック", "Check")),
    Key("n", "next", t("次へ", "Next")),
    Key("p", "previous", t("前へ", "Back")),
    Key("s", "skip", t("スキップ", "Skip")),
    Key("ctrl+c", "stop", t("停止", "Stop"), priority=True),
    Key("i", "interactive", t("自分で操作", "Drive it"), show=False),
    Key("y", "copy", t("コマンドをコピー", "Copy the command"), show=False),
    Key("l", "toggle_log", t("ログ", "Log")),
    Key("less_than_sign", "log_smaller", t("ログを小さく", "Smaller log"), show=False,
        key_display="<"),
    Key("greater_than_sign", "log_bigger", t("ログを大きく", "Bigger log"), show=False,
        key_display=">"),
    Key("t", "toggle_steps", t("一覧", "Steps"), show=False),
    Key("e", "explain", t("ログの行を説明", "Explain log line"), show=False),
    Key("v", "reveal", t("秘密の値を表示/隠す", "Show/hide secret values"), show=False),
    Key("f2", "language", t("English", "日本語"), key_display="F2"),
    Key("ctrl+q", "quit", t("終了", "Quit"), priority=True),
)

# What each key does, at more length, for the help screen and the command palette.
KEY_HELP: Mapping[str, Localized] = {
    "help": t("このキー一覧を表示します", "show these keys"),
    "run": t("選んだコマンド（なければ次のコマンド）を実行します",
             "run the chosen command (or the next one)"),
    "check": t("このステップのチェックを実行し、結果と原因を表示します",
               "run this step's checks and show results and causes"),
    "next": t("次のステップへ（チェック必須のステップは合格後）",
              "go to the next step (after passing, where checks are required)"),
    "previous": t("前のステップへ", "go to the previous step"),
    "skip": t("スキップできるステップの解答を自動で実行し、スキップとして記録します",
              "run a skippable step's solution and record it as skipped"),
    "stop": t("実行中のコマンドを止めます（アプリは終了しません）",
              "stop the running command (the lab keeps running)"),
    "interactive": t("対話のコマンドを自分で入力して実行します",
                     "run a dialogue typing the answers yourself"),
    "copy": t("コマンドをクリップボードにコピーします", "copy the command to the clipboard"),
    "toggle_log": t("メールログ欄の表示を切り替えます", "show or hide the mail log pane"),
    "log_smaller": t("メールログ欄を小さくします", "make the mail log pane smaller"),
    "log_bigger": t("メールログ欄を大きくします", "make the mail log pane bigger"),
    "toggle_steps": t("ステップの一覧の表示を切り替えます", "show or hide the list of steps"),
    "explain": t("ログ欄で選んだ行（なければ最後の問題の行）の意味を説明します",
                 "explain the chosen log line (or the last problem line)"),
    "reveal": t("本文のパスワードなど秘密の値の表示を切り替えます",
                "show or hide secret values such as passwords in the text"),
    "language": t("日本語と英語を切り替えます", "switch between Japanese and English"),
    "quit": t("終了します（実行中なら確認します）", "quit (asks first while a command runs)"),
}
