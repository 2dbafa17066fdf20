package dev.auramoe.cell;

/**
 * The gating cell of a mixture: a recurrent cell, shared by every stream of a model, that turns each
 * input into an update of the stream's state vector h; the router reads h (and, through the cell's
 * extra columns, x) to choose the experts. {@link LiquidCell} is the built-in one (liquid
 * time-constant or closed-form); a cell trained elsewhere plugs in by implementing this interface and
 * handing it to {@code MixtureOfExperts.Builder#gatingCell}.
 *
 * <h2>Contract</h2>
 * Per input the model calls {@link #project} (or {@link #projectBatch} for a batch of inputs), then
 * {@link #advance} with that projection row. A projection row holds {@link #width()} values: first
 * whatever the cell needs for its own update, then, as its last {@link #extraColumns()} values, the
 * products {@code x . q_e} of the input with one learned column per expert: the router's readout of
 * the input, fused into the cell's projection so that each input is read from memory once. Those
 * columns belong to the router: it sets them ({@link #setExtraColumn}), trains them
 * ({@link #addToExtraColumn}) and carries them across changes of the expert set
 * ({@link #withExtraColumns}); the cell only stores them and computes their products. A model whose
 * router does not read x asks for no extra columns.
 *
 * <p>The model uses the cell it is given, not a copy, and trains its extra columns in place, as it
 * does its experts: give each model a cell of its own ({@link #withExtraColumns} with the identity
 * mapping makes a copy), and read or change it only through the model while the model is in use.
 *
 * <p>Calls are serialised by the model (under its lock), so an implementation may keep scratch
 * space; it must not allocate per input if the model's hot paths are to stay allocation-free, and it
 * must keep h finite and bounded for finite inputs. The MAC counts feed the energy meter.
 *
 * <h2>Snapshots</h2>
 * Snapshot format v1 stores only the built-in {@link LiquidCell} (its {@link CellConfig} and
 * weights). A model with any other cell routes, learns, restructures and reports like any other,
 * but saving it, taking its snapshot bytes or its digest throws {@link UnsupportedOperationException}
 * naming the cell: its weights live with the code that trained it, and a later format version is
 * where a cell that can serialise itself would be added.
 */
public interface GatingCell {

  /** Input dimension. */
  int inputDim();

  /** State size H: the length of each stream's h. */
  int hidden();

  /** Values per projection row: the cell's own columns followed by the extra columns. */
  int width();

  /** Extra columns at the end of each projection row: one per expert when the router reads x, else 0. */
  int extraColumns();

  /** Writes the projection row of x ({@link #width()} values) to {@code out[outOff..)}; x not modified. */
  void project(float[] x, int xOff, float[] out, int outOff);

  /**
   * The projection rows of {@code count} consecutive inputs of {@code xs} (row after row) into
   * {@code out}, {@code count * width()} values: one matrix product for a batch, the same values as
   * {@code count} calls of {@link #project} up to summation order.
   */
  void projectBatch(float[] xs, int count, float[] out);

  /**
   * The projection rows of {@code count} consecutive inputs of {@code xs}, the first at
   * {@code xs[xOff]}, into {@code out} from 0, each bit for bit the row {@link #project} gives for
   * that input alone: what a call that must route as
   * single inputs do (the many-stream route) projects with. The default calls {@link #project} row by
   * row; a cell overrides it with a matrix product that sums in the same order.
   */
  default void projectRows(float[] xs, int xOff, int count, float[] out) {
    int in = inputDim();
    int width = width();
    for (int t = 0; t < count; t++) {
      project(xs, xOff + t * in, out, t * width);
    }
  }

  /**
   * Advances a stream's state over one input.
   *
   * @param h the stream's state, length {@link #hidden()}, modified
   * @param p projection rows; the row of this input starts at {@code pOff}, and the cell may modify
   *     its own columns of it (not the extra columns)
   * @param elapsed seconds since the stream's previous input, finite and &gt;= 0, or NaN for the
   *     cell's default step
   * @return the integration steps taken (0 when no time passed), for the energy meter
   */
  int advance(float[] h, float[] p, int pOff, float elapsed);

  /**
   * Advances {@code n} different streams over one input each, with the cell's default step (an
   * elapsed time of NaN): stream r's state {@code hs[r]} over the projection row that starts at
   * {@code p[pRows[r] * width()]}, each bit for bit as {@code advance(hs[r], p, pRows[r] * width(), NaN)}
   * would, its step count written to {@code stepsOut[r]}. The states are distinct arrays. The default
   * advances them one by one; a cell overrides it to advance them together (its recurrent product as
   * a matrix product over the streams).
   */
  default void advanceEach(float[][] hs, int n, float[] p, int[] pRows, int[] stepsOut) {
    int width = width();
    for (int r = 0; r < n; r++) {
      stepsOut[r] = advance(hs[r], p, pRows[r] * width, Float.NaN);
    }
  }

  /** MACs of projecting one input for the cell's own columns (the extra columns are metered by the router). */
  long projectionMacs();

  /** MACs of one integration step. */
  long stepMacs();

  /**
   * The float parameters the cell holds, its extra columns included: what the model's
   * {@code parameterCount()} counts for it (and a service its memory limits).
   */
  long parameterCount();

  /** Adds {@code step * x} to extra column {@code e}; x not modified. */
  void addToExtraColumn(int e, float step, float[] x);

  /** Copies extra column {@code e} ({@link #inputDim()} values) into {@code out}. */
  void extraColumn(int e, float[] out);

  /** Sets extra column {@code e} to {@code column} ({@link #inputDim()} values, copied). */
  void setExtraColumn(int e, float[] column);

  /**
   * A copy of this cell for a model with another set of experts: the same weights, with
   * {@code from.length} extra columns, column {@code j} a copy of this cell's column {@code from[j]},
   * or zeros when {@code from[j] < 0} (a fresh expert). With no extra columns here, {@code from} is
   * empty. This cell is not changed.
   */
  GatingCell withExtraColumns(int[] from);

  /**
   * The cell's time constants for an input, in seconds, without touching any state: for cells whose
   * dynamics have input-dependent time constants.
   *
   * @param tauOut receives {@link #hidden()} values
   * @throws UnsupportedOperationException when the cell has no such time constants (the default)
   */
  default void timeConstants(float[] x, float[] tauOut) {
    throw new UnsupportedOperationException("the gating cell " + getClass().getName()
        + " does not report time constants");
  }
}
