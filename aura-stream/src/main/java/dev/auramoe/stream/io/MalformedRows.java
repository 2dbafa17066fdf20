package dev.auramoe.stream.io;

import dev.auramoe.stream.data.MalformedRowException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/** The malformed-row bookkeeping shared by the text readers: abort, or count, keep and notify. */
final class MalformedRows {

  private final String source;
  private final MalformedRowPolicy policy;
  private final int maxProblems;
  private final Consumer<MalformedRowException> listener;
  private final List<MalformedRowException> problems = new ArrayList<>();
  private long skipped;

  MalformedRows(String source, ReadOptions options) {
    this.source = source;
    this.policy = options.policy();
    this.maxProblems = options.maxProblems();
    this.listener = options.listener();
  }

  /**
   * Deals with one bad row: throws under {@link MalformedRowPolicy#ABORT}, otherwise counts it, keeps
   * it if there is room and tells the listener.
   */
  void report(long line, String reason) throws MalformedRowException {
    MalformedRowException e = new MalformedRowException(source, line, reason);
    if (policy == MalformedRowPolicy.ABORT) {
      throw e;
    }
    skipped++;
    if (problems.size() < maxProblems) {
      problems.add(e);
    }
    if (listener != null) {
      listener.accept(e);
    }
  }

  long skipped() {
    return skipped;
  }

  List<MalformedRowException> problems() {
    return Collections.unmodifiableList(problems);
  }
}
