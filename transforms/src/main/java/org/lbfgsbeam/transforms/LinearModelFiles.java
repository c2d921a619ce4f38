package org.lbfgsbeam.transforms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.lbfgsbeam.core.data.InputFormatException;
import org.lbfgsbeam.core.partition.Partitioning;

/**
 * The one reader and writer of the linear models {@code train} writes (softmax, logistic, least
 * squares), in the format of {@link ModelFormat}, block by block so that a model too large for one
 * machine is never read or written whole. The command line ({@code train}, {@code evaluate},
 * {@code predict}) and {@link ScoreExamples} both use it.
 *
 * <p>{@code <dir>/model.json}: {@code format} ({@value ModelFormat#FORMAT}), {@code model}
 * ({@code softmax}, {@code logistic}, {@code least-squares}), {@code classes} K, {@code features} D,
 * {@code labels} (the original label of class c at index c, strictly ascending), {@code lambda}, and
 * {@code blocks}: for each block, in order, its {@code file} (a file name in the directory),
 * {@code firstRow}, {@code rows} and {@code sha256} (the SHA-256 of the file's bytes, 64 hex digits;
 * absent in models written before it was recorded). The blocks cover their units in order without
 * gaps or overlaps, none empty:
 * <ul>
 *   <li>softmax: the units are the K classes; block b holds rows [firstRow, firstRow + rows) of W
 *       (K&times;D), a weights file of rows&times;D;</li>
 *   <li>logistic and least squares: W is one row of D features, and the units are its features;
 *       block b holds features [firstRow, firstRow + rows), a weights file of 1&times;rows.</li>
 * </ul>
 */
public final class LinearModelFiles {
  /** The {@code model} of a softmax model in model.json. */
  public static final String SOFTMAX = "softmax";

  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
  private static final List<String> MODELS = List.of(SOFTMAX, "logistic", "least-squares");

  private LinearModelFiles() {}

  /**
   * One block of a model: units [firstRow, firstRow + rows), stored in {@code file}.
   *
   * @param sha256 the file's SHA-256 (64 lowercase hex digits) from model.json, or null if the
   *     model was written before checksums were recorded
   */
  public record Block(String file, int firstRow, int rows, String sha256) implements Serializable {
    /** A block whose model.json records no checksum. */
    public Block(String file, int firstRow, int rows) {
      this(file, firstRow, rows, null);
    }
  }

  /**
   * What {@code model.json} says about a linear model: small, and serialisable so that DoFns carry
   * it to the workers that read the weights.
   *
   * @param directory the model directory, as given
   * @param model softmax, logistic or least-squares
   * @param labels the original label of each class, int[K]
   * @param features D
   * @param lambda the L2 regularisation the model was trained with
   * @param blocks the blocks in order
   */
  public record Info(String directory, String model, int[] labels, int features, double lambda,
      List<Block> blocks) implements Serializable {
    public Info {
      labels = labels.clone();
      blocks = List.copyOf(blocks);
    }

    /** Whether this is a softmax model (class blocks). */
    public boolean isSoftmax() {
      return SOFTMAX.equals(model);
    }

    /** K. */
    public int classes() {
      return labels.length;
    }

    /** The label of class {@code c}. */
    public int label(int c) {
      return labels[c];
    }

    /** A copy of the labels; the record's own accessor would expose the array. */
    @Override
    public int[] labels() {
      return labels.clone();
    }

    /** The number of blocks P. */
    public int blockCount() {
      return blocks.size();
    }

    /** The rows of block {@code b}'s weights file: its classes (softmax), else 1. */
    public int fileRows(int b) {
      return isSoftmax() ? blocks.get(b).rows() : 1;
    }

    /** The columns of block {@code b}'s weights file: D (softmax), else its features. */
    public int fileColumns(int b) {
      return isSoftmax() ? features : blocks.get(b).rows();
    }

    /** The bytes W takes in memory: K&middot;D&middot;8 (softmax), else D&middot;8. */
    public long weightBytes() {
      return 8L * (isSoftmax() ? labels.length : 1) * features;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Info i && i.directory.equals(directory) && i.model.equals(model)
          && Arrays.equals(i.labels, labels) && i.features == features
          && Double.compare(i.lambda, lambda) == 0 && i.blocks.equals(blocks);
    }

    @Override
    public int hashCode() {
      return ((directory.hashCode() * 31 + model.hashCode()) * 31 + Arrays.hashCode(labels)) * 31
          + features * 7 + blocks.hashCode();
    }

    @Override
    public String toString() {
      return "LinearModel{" + directory + ": " + model + ", K=" + labels.length + ", D="
          + features + ", " + blocks.size() + " blocks}";
    }
  }

  /**
   * Writes the model into {@code dir} (created) from the optimiser's blocks: one weights file per
   * block, then model.json with each file's SHA-256.
   *
   * @param model softmax, logistic or least squares
   * @param partitioning the blocks: of classes (softmax), else of features
   * @param blocks the blocks in the objective's layout (softmax: feature-major D&times;K<sub>b</sub>,
   *     entry j&middot;K<sub>b</sub> + c is W[firstClass + c][j]; else the block's features)
   * @throws IOException a {@link java.nio.file.FileSystemException} naming the file a write failed
   */
  public static void write(Path dir, ObjectiveSpec.Model model, Partitioning partitioning,
      int[] labels, int features, double lambda, double[][] blocks) throws IOException {
    Files.createDirectories(dir);
    ObjectNode json = new ObjectMapper().createObjectNode();
    json.put("format", ModelFormat.FORMAT);
    json.put("model", ModelFormat.modelName(model));
    json.put("classes", labels.length);
    json.put("features", features);
    ArrayNode labelArray = json.putArray("labels");
    for (int l : labels) {
      labelArray.add(l);
    }
    json.put("lambda", lambda);
    ArrayNode blockArray = json.putArray("blocks");
    for (int b = 0; b < partitioning.blocks(); b++) {
      String file = String.format("weights-%05d.bin", b);
      int first = partitioning.firstUnit(b);
      int count = partitioning.unitCount(b);
      String sha256;
      if (model == ObjectiveSpec.Model.SOFTMAX) {
        sha256 = ModelFormat.writeWeights(dir.resolve(file), count, features,
            transpose(blocks[b], features, count));
      } else {
        sha256 = ModelFormat.writeWeights(dir.resolve(file), 1, count, blocks[b]);
      }
      ObjectNode entry = blockArray.addObject();
      entry.put("file", file);
      entry.put("firstRow", first);
      entry.put("rows", count);
      entry.put(WeightsIntegrity.BLOCK_FIELD, sha256);
    }
    ModelFormat.writeJson(dir, json);
  }

  /**
   * Reads and checks {@code <dir>/model.json}.
   *
   * @throws java.nio.file.NoSuchFileException naming model.json if there is none
   * @throws InputFormatException naming model.json if it is not a linear model of this format, or
   *     inconsistent (label count, block coverage)
   */
  public static Info readInfo(String dir) throws IOException {
    JsonNode json = ModelFormat.readJson(dir);
    String name = ModelFormat.resolve(dir, ModelFormat.MODEL_JSON).toString();
    String model = json.path("model").asText(null);
    if (!MODELS.contains(model)) {
      throw new InputFormatException(name, 0, "model must be one of " + MODELS + ", but was: "
          + model);
    }
    int features = positiveInt(json, "features", name, "");
    JsonNode labelArray = json.path("labels");
    if (!labelArray.isArray() || labelArray.isEmpty()) {
      throw new InputFormatException(name, 0, "labels must be a non-empty array of ints");
    }
    int[] labels = new int[labelArray.size()];
    for (int c = 0; c < labels.length; c++) {
      JsonNode l = labelArray.get(c);
      if (!l.canConvertToInt() || !l.isIntegralNumber()) {
        throw new InputFormatException(name, 0, "labels[" + c + "] must be an int, but was: " + l);
      }
      labels[c] = l.asInt();
      if (c > 0 && labels[c] <= labels[c - 1]) {
        throw new InputFormatException(name, 0, "labels must be strictly ascending, but labels["
            + c + "] is " + labels[c] + " after " + labels[c - 1]);
      }
    }
    if (json.has("classes") && json.get("classes").asLong(-1) != labels.length) {
      throw new InputFormatException(name, 0, "classes is " + json.get("classes")
          + " but there are " + labels.length + " labels");
    }
    boolean softmax = SOFTMAX.equals(model);
    int units = softmax ? labels.length : features;
    String unitName = softmax ? "classes" : "features";
    double lambda = json.path("lambda").asDouble(Double.NaN);
    JsonNode blockArray = json.path("blocks");
    if (!blockArray.isArray() || blockArray.isEmpty()) {
      throw new InputFormatException(name, 0, "blocks must be a non-empty array");
    }
    List<Block> blocks = new ArrayList<>();
    int next = 0;
    for (int b = 0; b < blockArray.size(); b++) {
      JsonNode entry = blockArray.get(b);
      String where = "blocks[" + b + "]: ";
      String blockFile = entry.path("file").asText("");
      if (blockFile.isEmpty() || blockFile.contains("/") || blockFile.contains("\\")) {
        throw new InputFormatException(name, 0, where
            + "file must be a file name in the model directory, but was: " + entry.path("file"));
      }
      int firstRow = nonNegativeInt(entry, "firstRow", name, where);
      int rows = positiveInt(entry, "rows", name, where);
      if (firstRow != next) {
        throw new InputFormatException(name, 0, where + "firstRow must be " + next
            + " (blocks cover the " + unitName + " in order), but was: " + firstRow);
      }
      if (softmax && (long) rows * features > MAX_ARRAY) {
        throw new InputFormatException(name, 0, where + rows + " x " + features
            + " weights are more than one array holds");
      }
      next = firstRow + rows;
      if (next > units) {
        throw new InputFormatException(name, 0, where + "rows [" + firstRow + ", " + next
            + ") go beyond the " + units + " " + unitName);
      }
      blocks.add(new Block(blockFile, firstRow, rows, WeightsIntegrity.checksumField(entry,
          WeightsIntegrity.BLOCK_FIELD, name, "blocks[" + b + "]")));
    }
    if (next != units) {
      throw new InputFormatException(name, 0, "the blocks cover " + next + " of the " + units + " "
          + unitName);
    }
    return new Info(dir, model, labels, features, lambda, blocks);
  }

  /**
   * Reads block {@code block} of the model as its weights file holds it: softmax, W's rows
   * [firstRow, firstRow + rows) as one row-major array of rows&times;D, entry r&middot;D + j =
   * W[firstRow + r][j]; else the weights of features [firstRow, firstRow + rows).
   *
   * @throws java.nio.file.NoSuchFileException naming the file if it is missing
   * @throws InputFormatException naming the file if it is not a weights file, of another shape or
   *     length than {@code model.json} says, holds a non-finite weight, or its SHA-256 is not the
   *     one {@code model.json} records
   */
  public static double[] readBlock(Info info, int block) throws IOException {
    if (block < 0 || block >= info.blockCount()) {
      throw new IllegalArgumentException(String.format(
          "block must be in [0, %s), but was: %s", info.blockCount(), block));
    }
    Block b = info.blocks().get(block);
    IntFunction<String> position = info.isSoftmax()
        ? WeightsIntegrity.classAndFeature(b.firstRow(), info.features())
        : q -> "(feature " + (b.firstRow() + q) + ")";
    return ModelFormat.readWeights(info.directory(), b.file(), "block " + block,
        info.fileRows(block), info.fileColumns(block), b.sha256(), position);
  }

  /**
   * Reads a softmax model's whole W as K&times;D rows, every block checked as {@link #readBlock}
   * checks it: for models that fit in memory (and tests).
   */
  public static double[][] readSoftmaxWeights(Info info) throws IOException {
    if (!info.isSoftmax()) {
      throw new IllegalArgumentException("not a softmax model: " + info);
    }
    double[][] w = new double[info.classes()][];
    for (int b = 0; b < info.blockCount(); b++) {
      double[] rows = readBlock(info, b);
      int first = info.blocks().get(b).firstRow();
      for (int r = 0; r < info.blocks().get(b).rows(); r++) {
        w[first + r] = Arrays.copyOfRange(rows, r * info.features(), (r + 1) * info.features());
      }
    }
    return w;
  }

  /**
   * A row-major R&times;C matrix as column-major (C&times;R), or back: entry (r, c) of {@code a}
   * moves from r&middot;C + c to c&middot;R + r. Softmax blocks are feature-major (D&times;K<sub>b</sub>)
   * in training and row-major (K<sub>b</sub>&times;D) on disk.
   */
  public static double[] transpose(double[] a, int rows, int cols) {
    double[] t = new double[a.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = a[r * cols + c];
      }
    }
    return t;
  }

  private static int positiveInt(JsonNode node, String field, String name, String where)
      throws InputFormatException {
    int v = nonNegativeInt(node, field, name, where);
    if (v == 0) {
      throw new InputFormatException(name, 0, where + field + " must be positive, but was: 0");
    }
    return v;
  }

  private static int nonNegativeInt(JsonNode node, String field, String name, String where)
      throws InputFormatException {
    JsonNode v = node.path(field);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw new InputFormatException(name, 0, where + field + " must be a non-negative int, but was: "
          + (v.isMissingNode() ? "missing" : v.toString()));
    }
    return v.asInt();
  }
}
