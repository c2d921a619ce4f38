package org.lbfgsbeam.pipelines;

/** Where a training run executes its supersteps. */
enum Runner {
  /** In this JVM, blocks on a thread pool ({@code LocalExecutor}). */
  LOCAL("local"),
  /** One Beam pipeline per superstep on Beam's DirectRunner, state in files. */
  DIRECT("direct"),
  /** One Beam pipeline per superstep on Beam's FlinkRunner (embedded or a cluster), state in files. */
  BEAM_FLINK("beam-flink"),
  /** One Flink job for the whole run: a DataSet bulk iteration (embedded or a cluster). */
  FLINK("flink");

  private final String cliName;

  Runner(String cliName) {
    this.cliName = cliName;
  }

  String cliName() {
    return cliName;
  }

  /**
   * Whether this runner keeps the vectors in files after every superstep; the others (local, flink)
   * hold them in memory and write a {@link Checkpoint} every {@code --checkpoint-every} iterations.
   * Every runner resumes from what is in the files.
   */
  boolean keepsStateInFiles() {
    return this == DIRECT || this == BEAM_FLINK;
  }

  static Runner parse(String name) {
    for (Runner r : values()) {
      if (r.cliName.equals(name)) {
        return r;
      }
    }
    throw new CommandLine.UsageException("--runner must be one of local, direct, beam-flink, flink, but was: " + name);
  }
}
