package dev.caravan.component.node;

import dev.caravan.CaravanException;
import dev.caravan.llm.LlmException;
import dev.caravan.state.Mutation;

import java.util.concurrent.TimeoutException;

/**
 * The stable error codes of node failures, which {@code nodes.<id>.error.code}, the run's error and the
 * {@code caravan.node.failed} and {@code caravan.run.failed} events carry. Agents add the kinds of
 * {@link LlmException.Kind} ({@code RATE_LIMIT}, {@code AUTH}, {@code BUDGET}, ...), and {@code fail} nodes their
 * own codes.
 */
public final class ErrorCodes {

    /** Anything no other code describes. */
    public static final String ERROR = Mutation.ERROR;
    /** An expression of the node (its {@code when} included) could not be evaluated. */
    public static final String EXPRESSION = "EXPRESSION";
    /** An attempt ran out of its {@code timeout}, or the model call timed out. */
    public static final String TIMEOUT = "TIMEOUT";
    /** The endpoint of a {@code call} node failed or could not be reached. */
    public static final String CALL_FAILED = "CALL_FAILED";
    /** The child run of a {@code workflow} node failed or was cancelled. */
    public static final String CHILD_FAILED = "CHILD_FAILED";
    /** A gate timed out with {@code onTimeout: fail}. */
    public static final String GATE_TIMEOUT = "GATE_TIMEOUT";
    /** The node's output is larger than {@code caravan.runs.max-value-bytes}. */
    public static final String OUTPUT_TOO_LARGE = "OUTPUT_TOO_LARGE";
    /** A budget refused the node's model call before it left the process ({@code LlmException.Kind.BUDGET}). */
    public static final String BUDGET = Mutation.BUDGET;
    /** A {@code fail} node that names no code. */
    public static final String FAILED = "FAILED";

    private ErrorCodes() {
    }

    /**
     * The code of a failure; {@code otherwise} when its type says nothing more (a node kind's own default, such as
     * {@link #CALL_FAILED}). A failure inside a map item or loop iteration keeps the code of the node that failed.
     */
    public static String of(Throwable error, String otherwise) {
        if (error instanceof CaravanException e) {
            return e.code();
        }
        if (error instanceof NodeFailedException e && e.code() != null) {
            return e.code();
        }
        if (error instanceof LlmException e) {
            return e.kind().name();
        }
        if (error instanceof TimeoutException) {
            return TIMEOUT;
        }
        return otherwise;
    }
}
