package org.lbfgsbeam.pipelines;

/** Where a training run executes its supersteps. */
enum Runner {
  /** In this JVM, blocks on a thread pool ({@code LocalExecutor}). */
  LOCAL("local"),
  /** One Beam pipeline per superstep on Beam's DirectRunner, state in files. */
  DIRECT("direct");

  private final String cliName;

  Runner(String cliName) {
    this.cliName = cliName;
  }

  String cliName() {
    return cliName;
  }

  static Runner parse(String name) {
    for (Runner r : values()) {
      if (r.cliName.equals(name)) {
        return r;
      }
    }
    throw new CommandLine.UsageException("--runner must be one of local, direct, but was: " + name);
  }
}
