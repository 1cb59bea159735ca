package dev.caravan.llm;

/**
 * Observes one {@code caravan-llm:chat} exchange while it runs: streamed text deltas and tool calls. Passed in the
 * exchange property {@link LlmConstants#LISTENER_PROPERTY}. Methods are called in order and never concurrently for one
 * exchange, from whichever thread runs the conversation at that point (the caller's, a model's, a tool's) or (for
 * deltas) the provider's streaming thread; they must not block for long.
 */
public interface LlmListener {

    /**
     * A piece of streamed reply text (only with {@code streaming=true}); the pieces concatenate to the reply.
     */
    default void onDelta(String text) {
    }

    /**
     * A streamed model call failed after {@code deltas} of its deltas had been passed to {@link #onDelta}: that text is
     * part of no reply. The next attempt (a retry, or the next model of the fallback chain) streams its reply from the
     * start, so a listener that shows or keeps deltas should drop the last {@code deltas} it got. Called only when the
     * failed call had streamed something, before anything else happens; no delta of the failed call comes after it.
     */
    default void onDeltasDiscarded(int deltas, LlmException failure) {
    }

    /**
     * The model asked to call a tool; called before the tool runs (also for unknown tools and invalid arguments).
     */
    default void onToolCall(String callId, String toolName, String argumentsJson) {
    }

    /**
     * The result sent back to the model for a tool call; {@code error} is true when it reports a failure.
     */
    default void onToolResult(String callId, String toolName, String resultJson, boolean error) {
    }
}
