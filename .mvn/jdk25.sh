# Sourced (POSIX sh) by ./mvnw, ./aura and .ci/run: finds a JDK 25.
#   aura_find_jdk25  prints JAVA_HOME if it is a JDK 25, else the first /usr/lib/jvm/temurin-25*
#                    holding one; returns 1 when there is none.

# Prints the feature version (25, 21, ...) of the JDK at $1, or nothing.
aura_jdk_major() {
  _aura_h="$1"
  _aura_v=""
  { [ -x "$_aura_h/bin/java" ] && [ -x "$_aura_h/bin/javac" ]; } || return 0
  if [ -r "$_aura_h/release" ]; then
    _aura_v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$_aura_h/release")
  fi
  if [ -z "$_aura_v" ]; then
    _aura_v=$("$_aura_h/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
  fi
  echo "$_aura_v"
}

aura_find_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(aura_jdk_major "$JAVA_HOME")" = "25" ]; then
    echo "$JAVA_HOME"
    return 0
  fi
  for _aura_d in /usr/lib/jvm/temurin-25*; do
    if [ -d "$_aura_d" ] && [ "$(aura_jdk_major "$_aura_d")" = "25" ]; then
      echo "$_aura_d"
      return 0
    fi
  done
  return 1
}
