package org.lbfgsbeam.pipelines.training;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lbfgsbeam.core.data.SparseDataset;
import org.lbfgsbeam.core.data.SuspectFeatureIndex;
import org.lbfgsbeam.core.nn.Loss;
import org.lbfgsbeam.core.partition.MemoryPlan;
import org.lbfgsbeam.pipelines.cli.CommandLine;
import org.lbfgsbeam.pipelines.cli.TrainOptions;
import org.lbfgsbeam.transforms.NetworkSpec;
import org.lbfgsbeam.transforms.ObjectiveSpec;

/**
 * Refuses a {@code train} run that cannot fit, after the data is read and before the objective or
 * any vector is allocated, with one line of numbers and the options that would fit ({@link
 * MemoryPlan}): blocks longer than a Java array, and, for the runners that hold every block in this
 * JVM, a run that needs more than its heap. A feature index far beyond the features used ({@link
 * SuspectFeatureIndex}) leads the refusal, or is a warning on stderr when the run fits.
 *
 * <p>A run on a Flink cluster ({@code --flink-master host:port}) gets only the array check: its
 * blocks live in the TaskManagers, whose heaps this JVM does not know.
 */
final class MemoryCheck {
  private MemoryCheck() {}

  /**
   * Checks the run of {@code o} on {@code data}.
   *
   * @param network the run's network (shards fitted to the data), or null for a linear model
   * @throws CommandLine.UsageException when the run cannot be laid out or does not fit the heap
   */
  static void train(TrainOptions o, SparseDataset data, NetworkSpec network, PrintStream progress) {
    MemoryPlan plan = plan(o, data, network);
    SuspectFeatureIndex suspect = SuspectFeatureIndex.of(data);
    List<String> problems = new ArrayList<>();
    if (suspect != null) {
      problems.add(suspect.message(o.data().toString()) + " (" + modelSize(o, suspect, network)
          + ")");
    }
    int before = problems.size();
    String arrays = plan.arrayProblem();
    if (arrays != null) {
      problems.add(arrays);
    }
    long heap = Runtime.getRuntime().maxMemory();
    if (runnerOf(o) != null && !plan.fits(heap)) {
      problems.add(heapProblem(plan, heap, suspect != null));
    }
    if (problems.size() > before) {
      throw new CommandLine.UsageException(String.join("; ", problems));
    }
    if (suspect != null) {
      progress.println("warning: " + problems.get(0));
    }
  }

  /** The plan of {@code o}'s run on {@code data} (the heap check's runner: local if remote). */
  static MemoryPlan plan(TrainOptions o, SparseDataset data, NetworkSpec network) {
    MemoryPlan.Shape shape = new MemoryPlan.Shape(data.numExamples(), data.numFeatures(),
        data.numClasses(), data.nnz());
    MemoryPlan.Runner runner = runnerOf(o) == null ? MemoryPlan.Runner.LOCAL : runnerOf(o);
    int m = o.optimizer().history();
    if (network != null) {
      int[] sizes = network.layerSizes(data.numFeatures(), data.numClasses());
      long[] wide = new long[sizes.length];
      for (int l = 0; l < sizes.length; l++) {
        wide[l] = sizes[l];
      }
      return MemoryPlan.network(shape, new MemoryPlan.Network(wide, network.batchSize(),
          network.shards(), network.loss() == Loss.SQUARED_ERROR), m, o.partitions(), o.threads(),
          runner);
    }
    return o.model() == ObjectiveSpec.Model.SOFTMAX
        ? MemoryPlan.softmax(shape, m, o.partitions(), o.threads(), runner)
        : MemoryPlan.linear(shape, m, o.partitions(), o.threads(), runner);
  }

  /** Where {@code o} holds its blocks, or null on a Flink cluster (no heap check). */
  static MemoryPlan.Runner runnerOf(TrainOptions o) {
    boolean embedded = o.flinkMaster().equals("[local]");
    return switch (o.runner()) {
      case LOCAL -> MemoryPlan.Runner.LOCAL;
      case DIRECT -> MemoryPlan.Runner.EMBEDDED_BEAM;
      case BEAM_FLINK -> embedded ? MemoryPlan.Runner.EMBEDDED_BEAM : null;
      case FLINK -> embedded ? MemoryPlan.Runner.EMBEDDED_FLINK : null;
    };
  }

  /**
   * "the run needs about 20.6 GB per worker (...) but the heap is 1.0 GB (-Xmx1g): use at most
   * 1,234,567 features, --history 2, or -Xmx28g".
   */
  static String heapProblem(MemoryPlan plan, long heap, boolean fewerFeaturesFirst) {
    List<String> options = new ArrayList<>();
    long features = plan.largestFeaturesThatFit(heap);
    if (features > 0) {
      options.add(String.format(Locale.ROOT, "at most %,d features", features));
    } else if (fewerFeaturesFirst) {
      options.add("fewer features");
    }
    int m = plan.largestHistoryThatFits(heap);
    if (m > 0) {
      options.add("--history " + m);
    }
    long gb = MemoryPlan.wholeGb(plan.requiredHeap());
    long ram = physicalMemory();
    options.add("-Xmx" + gb + "g" + (ram > 0 && gb << 30 > ram
        ? " (this machine has " + MemoryPlan.gb(ram) + ")" : ""));
    String xmx = xmxArgument();
    return "the run needs " + plan.describe() + " but the heap is " + MemoryPlan.gb(heap)
        + (xmx == null ? "" : " (" + xmx + ")") + ": use " + join(options);
  }

  /** "the model would have 2,000,000,000 weights per class", after the suspect index. */
  private static String modelSize(TrainOptions o, SuspectFeatureIndex suspect,
      NetworkSpec network) {
    String weights = String.format(Locale.ROOT, "%,d", suspect.largestIndex());
    if (network != null) {
      return "the first layer would have " + weights + " weights per hidden unit";
    }
    return "the model would have " + weights + " weights"
        + (o.model() == ObjectiveSpec.Model.SOFTMAX ? " per class" : "");
  }

  private static String join(List<String> options) {
    if (options.size() == 1) {
      return options.get(0);
    }
    return String.join(", ", options.subList(0, options.size() - 1)) + ", or "
        + options.get(options.size() - 1);
  }

  /** The last -Xmx of this JVM's arguments, or null. */
  private static String xmxArgument() {
    String xmx = null;
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-Xmx")) {
        xmx = a;
      }
    }
    return xmx;
  }

  /** This machine's physical memory in bytes, or -1 when the JVM does not say. */
  private static long physicalMemory() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getTotalMemorySize();
    }
    return -1;
  }
}
