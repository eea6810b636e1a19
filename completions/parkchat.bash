# bash completion for parkchat: subcommands and their flags.
_parkchat() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local commands="serve migrate send tail stats simulate token"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
    return
  fi
  case ${COMP_WORDS[1]} in
    serve) COMPREPLY=($(compgen -W "--nats-url --database-url --jwt-secret --listen --roles --data-dir --config --log-level --log-format --help" -- "$cur")) ;;
    migrate)
      if [ "$COMP_CWORD" -eq 2 ]; then
        COMPREPLY=($(compgen -W "up down status redo create --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "--database-url --data-dir --dir --dry-run --json --config --log-level --log-format --help" -- "$cur"))
      fi ;;
    *) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
  esac
}
complete -F _parkchat parkchat
