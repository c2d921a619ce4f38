package org.lbfgsbeam.pipelines.cli;

/** Where a training run executes its supersteps. */
public enum Runner {
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

  public String cliName() {
    return cliName;
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
