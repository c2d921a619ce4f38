package org.lbfgsbeam.pipelines.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.lbfgsbeam.core.data.InputFormatException;

/**
 * PNG charts of a run's {@code trace.csv}, drawn with XChart (headless):
 * <ul>
 *   <li>{@code objective-gap-by-iteration.png}, {@code objective-gap-by-time.png}: f &minus; f* on a
 *       log scale against the iteration and against the wall time, f* being the lowest f in the
 *       trace (so the row that reached it, where the gap is 0, is not drawn);</li>
 *   <li>for a non-convex objective (a network), whose lowest f in the trace is no optimum, instead
 *       {@code objective-by-iteration.png} and {@code objective-by-time.png}: f itself on a log
 *       scale;</li>
 *   <li>{@code gradient-norm.png}: max|g| on a log scale against the iteration;</li>
 *   <li>{@code validation-accuracy.png}: the validation accuracy against the iteration, when the
 *       trace has that column.</li>
 * </ul>
 * A chart with no point to draw (a trace of one row) is left out. Each file is written to a temporary
 * name and renamed, so a chart is either complete or absent.
 */
public final class Charts {
  static final String GAP_BY_ITERATION = "objective-gap-by-iteration.png";
  static final String GAP_BY_TIME = "objective-gap-by-time.png";
  static final String OBJECTIVE_BY_ITERATION = "objective-by-iteration.png";
  static final String OBJECTIVE_BY_TIME = "objective-by-time.png";
  static final String GRADIENT_NORM = "gradient-norm.png";
  static final String VALIDATION_ACCURACY = "validation-accuracy.png";
  private static final int WIDTH = 800;
  private static final int HEIGHT = 500;
  private static final int MARKED_POINTS = 60;
  /** Legend names longer than this put the legend below the plot instead of beside it. */
  private static final int LEGEND_BESIDE_CHARS = 30;

  private Charts() {}

  static final String ACCURACY_BY_EPOCH = "validation-accuracy-by-epoch.png";
  static final String ACCURACY_BY_TIME = "validation-accuracy-by-time.png";
  static final String TRAIN_LOSS_BY_EPOCH = "train-loss-by-epoch.png";

  /**
   * The charts of a stochastic run's epoch trace ({@code epoch,steps,trainLoss,validationLoss,
   * validationAccuracy,seconds}): validation accuracy against the epoch and against the seconds, the
   * train loss (log scale) against the epoch, as the mL-BFGS paper draws them.
   */
  static List<Path> writeEpochs(Path traceCsv, Path outDir) throws IOException {
    List<String> lines = Files.readAllLines(traceCsv);
    if (lines.isEmpty() || !lines.get(0).equals(StochasticTrainCommand.HEADER)) {
      throw new InputFormatException(traceCsv.toString(), 1, "not an epoch trace (header "
          + StochasticTrainCommand.HEADER + ")");
    }
    int n = lines.size() - 1;
    double[] epoch = new double[n];
    double[] loss = new double[n];
    double[] accuracy = new double[n];
    double[] seconds = new double[n];
    for (int i = 0; i < n; i++) {
      String[] f = lines.get(i + 1).split(",");
      epoch[i] = number(f[0], traceCsv.toString(), i + 2);
      loss[i] = number(f[2], traceCsv.toString(), i + 2);
      accuracy[i] = number(f[4], traceCsv.toString(), i + 2);
      seconds[i] = number(f[5], traceCsv.toString(), i + 2);
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    Files.createDirectories(outDir);
    List<Path> written = new ArrayList<>();
    try {
      save(chart("validation accuracy", "epoch", "accuracy", epoch, accuracy, false),
          outDir.resolve(ACCURACY_BY_EPOCH), written);
      save(chart("validation accuracy", "seconds", "accuracy", seconds, accuracy, false),
          outDir.resolve(ACCURACY_BY_TIME), written);
      save(logChart("train loss", "epoch", "mean mini-batch loss", epoch, loss),
          outDir.resolve(TRAIN_LOSS_BY_EPOCH), written);
    } catch (java.awt.AWTError | LinkageError | InternalError e) {
      throw new IOException("cannot draw charts with java.awt on this machine: " + e, e);
    }
    return written;
  }

  /** The columns of trace.csv a chart needs; validation is null when the trace has none. */
  record Trace(double[] iteration, double[] objective, double[] gradientNorm, double[] seconds,
      double[] validation) {}

  /**
   * Draws the charts of {@code traceCsv} into {@code outDir} (created if needed).
   *
   * @return the files written
   * @throws InputFormatException naming the trace file and line if it is not a trace
   * @throws IOException if a chart cannot be drawn or written
   */
  static List<Path> write(Path traceCsv, Path outDir) throws IOException {
    return write(traceCsv, outDir, true);
  }

  /**
   * As {@link #write(Path, Path)}; {@code convex} false draws f instead of f &minus; f* (a network's
   * lowest f in the trace is no optimum).
   */
  static List<Path> write(Path traceCsv, Path outDir, boolean convex) throws IOException {
    Trace trace = read(traceCsv);
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    Files.createDirectories(outDir);
    List<Path> written = new ArrayList<>();
    try {
      if (convex) {
        double best = Arrays.stream(trace.objective()).min().orElse(Double.NaN);
        String gapTitle = String.format(Locale.ROOT, "f - f*, f* = %.10g (lowest f in the trace)",
            best);
        double[] gap = Arrays.stream(trace.objective()).map(f -> f - best).toArray();
        save(logChart(gapTitle, "iteration", "f - f*", trace.iteration(), gap),
            outDir.resolve(GAP_BY_ITERATION), written);
        save(logChart(gapTitle, "seconds", "f - f*", trace.seconds(), gap),
            outDir.resolve(GAP_BY_TIME), written);
      } else {
        save(logChart("objective f", "iteration", "f", trace.iteration(), trace.objective()),
            outDir.resolve(OBJECTIVE_BY_ITERATION), written);
        save(logChart("objective f", "seconds", "f", trace.seconds(), trace.objective()),
            outDir.resolve(OBJECTIVE_BY_TIME), written);
      }
      save(logChart("gradient norm max|g|", "iteration", "max|g|", trace.iteration(),
          trace.gradientNorm()), outDir.resolve(GRADIENT_NORM), written);
      if (trace.validation() != null) {
        save(chart("validation accuracy", "iteration", "accuracy", trace.iteration(),
            trace.validation(), false), outDir.resolve(VALIDATION_ACCURACY), written);
      }
    } catch (java.awt.AWTError | LinkageError | InternalError e) {
      throw new IOException("cannot draw charts with java.awt on this machine: " + e, e);
    }
    return written;
  }

  /** Reads the columns of a trace.csv by their header names. */
  static Trace read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    String source = file.toString();
    if (lines.isEmpty()) {
      throw new InputFormatException(source, 0, "empty file: not a trace");
    }
    List<String> header = Arrays.asList(lines.get(0).strip().split(",", -1));
    int iteration = column(header, "iteration", source);
    int objective = column(header, "objective", source);
    int gradient = column(header, "gradientNorm", source);
    int seconds = column(header, "seconds", source);
    int validation = header.indexOf("validationAccuracy");
    int n = 0;
    double[][] columns = new double[5][lines.size()];
    for (int l = 1; l < lines.size(); l++) {
      String line = lines.get(l).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != header.size()) {
        throw new InputFormatException(source, l + 1, f.length + " fields, but the header has "
            + header.size());
      }
      columns[0][n] = number(f[iteration], source, l + 1);
      columns[1][n] = number(f[objective], source, l + 1);
      columns[2][n] = number(f[gradient], source, l + 1);
      columns[3][n] = number(f[seconds], source, l + 1);
      columns[4][n] = validation < 0 || f[validation].isEmpty() ? Double.NaN
          : number(f[validation], source, l + 1);
      n++;
    }
    if (n == 0) {
      throw new InputFormatException(source, 0, "no rows: not a trace");
    }
    final int rows = n;
    double[][] c = Arrays.stream(columns).map(a -> Arrays.copyOf(a, rows)).toArray(double[][]::new);
    boolean anyValidation = Arrays.stream(c[4]).anyMatch(v -> !Double.isNaN(v));
    return new Trace(c[0], c[1], c[2], c[3], anyValidation ? c[4] : null);
  }

  private static int column(List<String> header, String name, String source)
      throws InputFormatException {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new InputFormatException(source, 1, "no column '" + name + "' in the header: not a"
          + " trace.csv");
    }
    return i;
  }

  private static double number(String text, String source, int line) throws InputFormatException {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new InputFormatException(source, line, "not a number: '" + text + "'");
    }
  }

  /** A log-scale chart of the positive, finite points; null when there are none. */
  private static XYChart logChart(String title, String xTitle, String yTitle, double[] x,
      double[] y) {
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < y.length; i++) {
      if (y[i] > 0 && Double.isFinite(y[i]) && Double.isFinite(x[i])) {
        keep.add(i);
      }
    }
    double[] xs = keep.stream().mapToDouble(i -> x[i]).toArray();
    double[] ys = keep.stream().mapToDouble(i -> y[i]).toArray();
    return chart(title, xTitle, yTitle, xs, ys, true);
  }

  /** A line chart with markers of the finite points; null when there are none. */
  private static XYChart chart(String title, String xTitle, String yTitle, double[] x, double[] y,
      boolean logY) {
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < y.length; i++) {
      if (Double.isFinite(y[i]) && Double.isFinite(x[i])) {
        keep.add(i);
      }
    }
    if (keep.isEmpty()) {
      return null;
    }
    double[] xs = keep.stream().mapToDouble(i -> x[i]).toArray();
    double[] ys = keep.stream().mapToDouble(i -> y[i]).toArray();
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setYAxisLogarithmic(logY);
    chart.getStyler().setMarkerSize(5);
    if (!logY) {
      chart.getStyler().setYAxisDecimalPattern("0.000");
    }
    XYSeries series = chart.addSeries(yTitle, xs, ys);
    // Markers show the iterates of a short run; in a long one they would hide the line.
    series.setMarker(xs.length <= MARKED_POINTS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    return chart;
  }

  private static void save(XYChart chart, Path file, List<Path> written) throws IOException {
    if (chart == null) {
      return;
    }
    TrainCommand.writeAtomically(file, BitmapEncoder.getBitmapBytes(chart,
        BitmapEncoder.BitmapFormat.PNG));
    written.add(file);
  }

  /**
   * A line chart of several series, one per name, with a legend on its right (below it when a name
   * is long), written as a PNG to
   * {@code file} (its directory created if needed): series i is the points ({@code x.get(i)[j]},
   * {@code y.get(i)[j]}). Points that are not finite, and with {@code logY} not positive, are left
   * out; a series with no point left is not drawn (nor named in the legend).
   *
   * @return whether the file was written: false when no series has a point to draw
   * @throws IllegalArgumentException if the lists differ in length, a name repeats, or a series'
   *     x and y differ in length
   * @throws IOException if the chart cannot be drawn or written
   */
  public static boolean writeSeries(Path file, String title, String xTitle, String yTitle,
      List<String> names, List<double[]> x, List<double[]> y, boolean logY) throws IOException {
    if (names.size() != x.size() || names.size() != y.size()) {
      throw new IllegalArgumentException("names, x and y must have the same length, but had "
          + names.size() + ", " + x.size() + ", " + y.size());
    }
    if (names.stream().distinct().count() != names.size()) {
      throw new IllegalArgumentException("series names must differ, but were: " + names);
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    try {
      // Long names (a run's settings) go below the plot, a line each, so the plot keeps its width.
      boolean below = names.stream().anyMatch(n -> n.length() > LEGEND_BESIDE_CHARS);
      XYChart chart = new XYChartBuilder().width(WIDTH + 200)
          .height(below ? HEIGHT + 22 * names.size() : HEIGHT).title(title)
          .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
      chart.getStyler().setLegendVisible(true);
      chart.getStyler().setLegendPosition(below
          ? org.knowm.xchart.style.Styler.LegendPosition.OutsideS
          : org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
      if (below) {
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Vertical);
      }
      chart.getStyler().setYAxisLogarithmic(logY);
      chart.getStyler().setMarkerSize(5);
      if (!logY) {
        chart.getStyler().setYAxisDecimalPattern("0.000");
      }
      int drawn = 0;
      for (int s = 0; s < names.size(); s++) {
        double[] xs = x.get(s);
        double[] ys = y.get(s);
        if (xs.length != ys.length) {
          throw new IllegalArgumentException("series '" + names.get(s) + "' has " + xs.length
              + " x and " + ys.length + " y values");
        }
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < ys.length; i++) {
          if (Double.isFinite(xs[i]) && Double.isFinite(ys[i]) && (!logY || ys[i] > 0)) {
            keep.add(i);
          }
        }
        if (keep.isEmpty()) {
          continue;
        }
        XYSeries series = chart.addSeries(names.get(s),
            keep.stream().mapToDouble(i -> xs[i]).toArray(),
            keep.stream().mapToDouble(i -> ys[i]).toArray());
        series.setMarker(keep.size() <= MARKED_POINTS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        drawn++;
      }
      if (drawn == 0) {
        return false;
      }
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      TrainCommand.writeAtomically(file, BitmapEncoder.getBitmapBytes(chart,
          BitmapEncoder.BitmapFormat.PNG));
      return true;
    } catch (java.awt.AWTError | LinkageError | InternalError e) {
      throw new IOException("cannot draw charts with java.awt on this machine: " + e, e);
    }
  }
}
