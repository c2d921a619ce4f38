package org.lbfgsbeam.sparkpeer;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A LIBSVM file read with lbfgs-beam's conventions, not Spark's {@code libsvm} data source (which
 * keeps the label as a double, so labels such as -1/+1 are not classes 0..K-1, and rejects a
 * multi-label line):
 * <ul>
 *   <li>the label of a line is its first label: {@code "3,7 1:0.5"} and LSHTC's {@code "3, 7 1:0.5"}
 *       have label 3; a label is an integer (an integral decimal such as {@code 2.0} is accepted);
 *   <li>the classes are the distinct labels in ascending order, so class {@code k} is the k-th
 *       smallest label;
 *   <li>feature indices are 1-based and ascending within a line; file index j is column j-1, and D
 *       is the largest index in the file;
 *   <li>{@code #} starts a comment; blank lines are skipped.
 * </ul>
 * Rows are stored compressed (CSR): row i holds {@code columns/values[rowOffsets[i], rowOffsets[i+1])}.
 * Serializable only to be broadcast to Spark's tasks within one run, never stored.
 */
final class LibsvmFile implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  final int numFeatures;
  final int[] classLabels;
  final int[] classes;
  final int[] rowOffsets;
  final int[] columns;
  final double[] values;

  private LibsvmFile(int numFeatures, int[] classLabels, int[] classes, int[] rowOffsets,
      int[] columns, double[] values) {
    this.numFeatures = numFeatures;
    this.classLabels = classLabels;
    this.classes = classes;
    this.rowOffsets = rowOffsets;
    this.columns = columns;
    this.values = values;
  }

  int numExamples() {
    return classes.length;
  }

  int numClasses() {
    return classLabels.length;
  }

  /** Reads {@code file}; a malformed line is an {@link IllegalArgumentException} naming it. */
  static LibsvmFile read(Path file) throws IOException {
    int[] labels = new int[1024];
    int[] offsets = new int[1025];
    int[] cols = new int[1 << 16];
    double[] vals = new double[1 << 16];
    int n = 0;
    int nnz = 0;
    int maxIndex = 0;
    long lineNumber = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        int hash = line.indexOf('#');
        String text = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (text.isEmpty()) {
          continue;
        }
        String[] tokens = text.split("\\s+");
        // Labels: the tokens before the first index:value, joined, split at commas.
        int first = 0;
        StringBuilder labelText = new StringBuilder();
        while (first < tokens.length && tokens[first].indexOf(':') < 0) {
          labelText.append(tokens[first++]);
        }
        String[] labelTokens = labelText.toString().split(",");
        if (labelTokens.length == 0 || labelTokens[0].isEmpty()) {
          throw bad(file, lineNumber, "no label");
        }
        int label = parseLabel(file, lineNumber, labelTokens[0]);
        int previous = 0;
        for (int t = first; t < tokens.length; t++) {
          String token = tokens[t];
          int colon = token.indexOf(':');
          if (colon < 0) {
            throw bad(file, lineNumber, "bad token '" + token + "': expected index:value");
          }
          int index;
          double value;
          try {
            index = Integer.parseInt(token.substring(0, colon));
            value = Double.parseDouble(token.substring(colon + 1));
          } catch (NumberFormatException e) {
            throw bad(file, lineNumber, "bad token '" + token + "'");
          }
          if (index <= previous) {
            throw bad(file, lineNumber, "feature index " + index + " not ascending after "
                + previous + " (indices are 1-based)");
          }
          if (!Double.isFinite(value)) {
            throw bad(file, lineNumber, "non-finite value in '" + token + "'");
          }
          if (nnz == cols.length) {
            cols = Arrays.copyOf(cols, 2 * nnz);
            vals = Arrays.copyOf(vals, 2 * nnz);
          }
          cols[nnz] = index - 1;
          vals[nnz] = value;
          nnz++;
          previous = index;
        }
        maxIndex = Math.max(maxIndex, previous);
        if (n == labels.length) {
          labels = Arrays.copyOf(labels, 2 * n);
          offsets = Arrays.copyOf(offsets, 2 * n + 1);
        }
        labels[n++] = label;
        offsets[n] = nnz;
      }
    }
    if (n == 0) {
      throw bad(file, 0, "no examples");
    }
    int[] distinct = Arrays.stream(labels, 0, n).distinct().sorted().toArray();
    int[] classes = new int[n];
    for (int i = 0; i < n; i++) {
      classes[i] = Arrays.binarySearch(distinct, labels[i]);
    }
    return new LibsvmFile(maxIndex, distinct, classes, Arrays.copyOf(offsets, n + 1),
        Arrays.copyOf(cols, nnz), Arrays.copyOf(vals, nnz));
  }

  private static int parseLabel(Path file, long line, String text) {
    try {
      return Integer.parseInt(text.startsWith("+") ? text.substring(1) : text);
    } catch (NumberFormatException e) {
      try {
        double d = Double.parseDouble(text);
        if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
          return (int) d;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw bad(file, line, "bad label '" + text + "'");
    }
  }

  private static IllegalArgumentException bad(Path file, long line, String reason) {
    return new IllegalArgumentException(file + ":" + line + ": " + reason);
  }
}
