package org.lbfgsbeam.pipelines.cli;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.lbfgsbeam.pipelines.Main;

/**
 * Pins the native BLAS to one thread per calling thread. OpenBLAS, which netlib's JNI path loads as the
 * system {@code libblas.so.3}, starts its own pool of threads sized by {@code OPENBLAS_NUM_THREADS}
 * (default: every core) when the library loads, and its results depend on that count: the same network
 * gave other last bits with 1 and 2 OpenBLAS threads here. It also oversubscribes the cores when our
 * own shards already run one per core (measured here: 29.1 s against 18.7 s for 5 iterations of
 * 784-256-10 on Fashion-MNIST with 2 shard threads).
 *
 * <p>The variable must be set before the library loads, and a JVM cannot change its own environment,
 * so {@code java -jar lbfgs-beam.jar ...} without it, for a command that may load the native BLAS
 * ({@link #mayLoadNativeBlas}), relaunches itself once as a child JVM with
 * {@code OPENBLAS_NUM_THREADS=1} (and {@code OMP_NUM_THREADS=1}), the same JVM options, classpath and
 * arguments; it passes the child's exit status on, stops the child when it is stopped itself, and the
 * child exits when its parent disappears. Set {@code OPENBLAS_NUM_THREADS} yourself (any value) to
 * run without the relaunch. The same child carries the options of the jar's class-data archive
 * ({@link ClassDataArchive}), so every command run from the jar relaunches while that is on (and keeps
 * a value of {@code OPENBLAS_NUM_THREADS} you set), and the heap's paging options ({@link
 * HeapPaging}).
 */
public final class BlasThreads {
  public static final String VARIABLE = "OPENBLAS_NUM_THREADS";
  /** Set in the relaunched child, so that it watches its parent and never relaunches again. */
  public static final String CHILD_PROPERTY = "lbfgs.blasRelaunched";

  private BlasThreads() {}

  /**
   * Whether this JVM should relaunch itself to run {@code args}: with the BLAS pinned, when the
   * command may load it and {@code OPENBLAS_NUM_THREADS} is not set, or with the class-data archive
   * ({@code archive}, when there is one).
   */
  public static boolean needsRelaunch(String[] args, ClassDataArchive archive) {
    if (System.getProperty(CHILD_PROPERTY) != null) {
      return false;
    }
    return archive != null || System.getenv(VARIABLE) == null
        && mayLoadNativeBlas(java.util.Arrays.asList(args));
  }

  /**
   * Whether the command may load the native BLAS. L-BFGS {@code train} of a linear model (softmax,
   * logistic, least squares) and {@code generate} never do: their kernels are sparse loops of their
   * own, so they run in this JVM and save the second JVM's start (a few tenths of a second of every
   * run). Every other command, which may touch a network, is relaunched.
   */
  static boolean mayLoadNativeBlas(List<String> args) {
    if (args.isEmpty()) {
      return true;
    }
    List<String> rest = args.subList(1, args.size());
    return switch (args.get(0)) {
      case "generate" -> false;
      case "train" -> StochasticTrainOptions.applies(rest) || modelIsNetwork(rest);
      default -> true;
    };
  }

  private static boolean modelIsNetwork(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String model = a.equals("--model") && i + 1 < args.size() ? args.get(i + 1)
          : a.startsWith("--model=") ? a.substring("--model=".length()) : null;
      if (model != null) {
        return !List.of("softmax", "logistic", "least-squares").contains(model);
      }
    }
    return false; // softmax by default
  }

  /** Runs {@code args} in a child JVM with the BLAS pinned and returns its exit status. */
  public static int relaunch(String[] args, ClassDataArchive archive) throws Exception {
    String java = ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(HeapPaging.jvmOptions()); // before the user's options, which win
    command.addAll(GarbageCollector.jvmOptions()); // none when the user chose a collector
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    if (archive != null) {
      command.addAll(archive.jvmOptions());
    }
    command.add("-D" + CHILD_PROPERTY + "=" + ProcessHandle.current().pid());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    builder.environment().putIfAbsent(VARIABLE, "1");
    builder.environment().putIfAbsent("OMP_NUM_THREADS", "1");
    Process child = builder.start();
    Thread stopChild = new Thread(() -> {
      if (child.isAlive()) {
        child.destroy(); // SIGTERM: the child's own shutdown hooks run
        try {
          if (!child.waitFor(30, TimeUnit.SECONDS)) {
            child.destroyForcibly();
          }
        } catch (InterruptedException e) {
          child.destroyForcibly();
        }
      }
    }, "stop-child");
    Runtime.getRuntime().addShutdownHook(stopChild);
    int status = child.waitFor();
    if (archive != null) {
      archive.childExited();
    }
    return status;
  }

  /**
   * In a relaunched child: a daemon thread that ends this JVM when the parent that launched it is gone
   * (killed with SIGKILL, say), so no child is left running on its own.
   */
  public static void watchParent() {
    String parent = System.getProperty(CHILD_PROPERTY);
    if (parent == null) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(parent);
    } catch (NumberFormatException e) {
      return;
    }
    Thread watcher = new Thread(() -> {
      while (true) {
        if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
          System.err.println("lbfgs-beam: the launching process " + pid + " is gone; stopping");
          System.exit(143); // the shutdown hooks run: a Flink job of this run is cancelled
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "watch-parent");
    watcher.setDaemon(true);
    watcher.start();
  }
}
