package dev.caravan.llm.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.caravan.llm.LlmException;
import dev.caravan.support.JsonProblems;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

/**
 * A deterministic chat model for demos and tests. Replies come from a JSON array; each element is a string (the
 * reply text) or an object with one of {@code text}, {@code json} (a JSON value, replied as its serialized text),
 * {@code toolCalls} ({@code [{"name": ..., "arguments": {...}}]}, ids {@code call_<n>}; a string {@code arguments}
 * is sent as-is, so invalid JSON can be scripted) or {@code error} ({@code {"type": "rate_limit|overloaded|auth|
 * bad_request|server|timeout", "message": ...}}, thrown as the matching {@link LlmException}). The reply used is
 * {@code offset + number of AI messages in the request}, clamped to the last reply; without replies the model echoes
 * the last user message. Token usage is simulated as characters / 4, rounded up.
 *
 * <p>Replies are templates over the request, so that a scripted demo answers what it was asked: in reply text, in
 * the strings of a {@code json} reply and in tool call arguments, {@code {prompt}} is the last user message,
 * {@code {system}} the system message and {@code {tool}} the last tool result ({@code ""} when there is none).
 * Other braces are kept as they are.
 */
public class ScriptedChatModel implements AsyncChatModel {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(prompt|system|tool)}");
    /** The {@code error.type} values a scripted reply can fail with. */
    public static final List<String> ERROR_TYPES = List.of("rate_limit", "overloaded", "auth", "bad_request", "server",
            "timeout");

    private final List<JsonNode> replies;
    private final long latencyMillis;
    private final LatencyScheduler latency;
    private final int offset;

    /**
     * A model that answers at once.
     *
     * @param repliesJson a JSON array of replies, or null/blank to echo
     */
    public ScriptedChatModel(String repliesJson) {
        this(parse(repliesJson), 0, null, 0);
    }

    /**
     * @param repliesJson   a JSON array of replies, or null/blank to echo
     * @param latencyMillis how long each reply takes: the blocking {@code chat} waits it out, the handler form
     *                      schedules the reply on {@code latency}
     * @param latency       delivers the replies of handler calls after {@code latencyMillis}; needed when it is above 0
     */
    public ScriptedChatModel(String repliesJson, long latencyMillis, LatencyScheduler latency) {
        this(parse(repliesJson), latencyMillis, latency, 0);
        if (latencyMillis > 0 && latency == null) {
            throw new IllegalArgumentException("A scripted latency needs a LatencyScheduler to deliver the replies");
        }
    }

    private ScriptedChatModel(List<JsonNode> replies, long latencyMillis, LatencyScheduler latency, int offset) {
        this.replies = replies;
        this.latencyMillis = latencyMillis;
        this.latency = latency;
        this.offset = offset;
    }

    /**
     * The same script, read from {@code offset} replies further (the engine's script offset plus failed attempts).
     */
    public ScriptedChatModel withOffset(int offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
        return offset == this.offset ? this : new ScriptedChatModel(replies, latencyMillis, latency, offset);
    }

    public int offset() {
        return offset;
    }

    /** The number of scripted replies (0: echo). */
    public int size() {
        return replies.size();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        pause();
        return respond(request);
    }

    /** Answers after the latency, scheduled: nothing waits on a thread meanwhile. */
    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        if (latencyMillis > 0) {
            latency.after(latencyMillis, () -> answer(request, handler));
        } else {
            answer(request, handler);
        }
    }

    private void answer(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = respond(request);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        String text = response.aiMessage().text();
        if (text != null) {
            for (String chunk : chunks(text)) {
                handler.onPartialResponse(chunk);
            }
        }
        handler.onCompleteResponse(response);
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    /**
     * Splits text into word-sized chunks that keep their trailing whitespace, so that the chunks concatenate to the text.
     */
    static List<String> chunks(String text) {
        List<String> out = new ArrayList<>();
        int n = text.length();
        int start = 0;
        int i = 0;
        while (i < n && Character.isWhitespace(text.charAt(i))) {
            i++; // leading whitespace joins the first word
        }
        while (i < n) {
            while (i < n && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            out.add(text.substring(start, i));
            start = i;
        }
        if (start < n) {
            out.add(text.substring(start));
        }
        return out;
    }

    private ChatResponse respond(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        long inputChars = 0;
        int aiMessages = 0;
        int priorToolCalls = 0;
        for (ChatMessage m : messages) {
            inputChars += chars(m);
            if (m instanceof AiMessage ai) {
                aiMessages++;
                if (ai.hasToolExecutionRequests()) {
                    priorToolCalls += ai.toolExecutionRequests().size();
                }
            }
        }

        AiMessage reply;
        FinishReason finish = FinishReason.STOP;
        if (replies.isEmpty()) {
            reply = AiMessage.from(lastUserText(messages));
        } else {
            Template template = new Template(messages);
            JsonNode node = template.fill(replies.get(Math.min(offset + aiMessages, replies.size() - 1)));
            if (node.isTextual()) {
                reply = AiMessage.from(node.asText());
            } else if (node.has("error")) {
                throw error(node.get("error"));
            } else if (node.has("toolCalls")) {
                List<ToolExecutionRequest> calls = new ArrayList<>();
                for (JsonNode call : node.get("toolCalls")) {
                    JsonNode args = call.get("arguments");
                    String argsText = args == null || args.isNull() ? "{}" : args.isTextual() ? args.asText() : args.toString();
                    calls.add(ToolExecutionRequest.builder()
                            .id("call_" + (priorToolCalls + calls.size() + 1))
                            .name(call.path("name").asText())
                            .arguments(argsText)
                            .build());
                }
                JsonNode text = node.get("text");
                reply = text != null && text.isTextual() ? AiMessage.from(text.asText(), calls) : AiMessage.from(calls);
                finish = FinishReason.TOOL_EXECUTION;
            } else if (node.has("json")) {
                reply = AiMessage.from(node.get("json").toString());
            } else {
                reply = AiMessage.from(node.path("text").asText());
            }
        }

        TokenUsage usage = new TokenUsage(quarter(inputChars), quarter(chars(reply)));
        return ChatResponse.builder()
                .aiMessage(reply)
                .modelName(request.modelName() != null ? request.modelName() : ScriptedChatModelFactory.PROVIDER)
                .tokenUsage(usage)
                .finishReason(finish)
                .build();
    }

    /** Fills {@code {prompt}}, {@code {system}} and {@code {tool}} into the strings of a reply. */
    private static final class Template {

        private final List<ChatMessage> messages;

        Template(List<ChatMessage> messages) {
            this.messages = messages;
        }

        JsonNode fill(JsonNode node) {
            if (node.isTextual()) {
                String text = node.asText();
                return text.indexOf('{') < 0 ? node : TextNode.valueOf(fill(text));
            }
            if (node.isContainerNode()) {
                JsonNode copy = node.deepCopy();
                fillIn(copy);
                return copy;
            }
            return node;
        }

        private void fillIn(JsonNode container) {
            if (container instanceof ObjectNode object) {
                object.fieldNames().forEachRemaining(name -> {
                    JsonNode value = object.get(name);
                    if (value.isTextual()) {
                        object.put(name, fill(value.asText()));
                    } else if (value.isContainerNode()) {
                        fillIn(value);
                    }
                });
            } else if (container instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    JsonNode value = array.get(i);
                    if (value.isTextual()) {
                        array.set(i, TextNode.valueOf(fill(value.asText())));
                    } else if (value.isContainerNode()) {
                        fillIn(value);
                    }
                }
            }
        }

        private String fill(String text) {
            if (text.indexOf('{') < 0) {
                return text;
            }
            // one pass, so that a prompt that holds "{tool}" stays as it is
            Matcher m = PLACEHOLDER.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String value = switch (m.group(1)) {
                    case "prompt" -> lastUserText(messages);
                    case "system" -> systemText(messages);
                    default -> lastToolResult(messages);
                };
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            return m.appendTail(out).toString();
        }
    }

    private static String systemText(List<ChatMessage> messages) {
        for (ChatMessage m : messages) {
            if (m instanceof SystemMessage s) {
                return s.text();
            }
        }
        return "";
    }

    private static String lastToolResult(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof ToolExecutionResultMessage t) {
                return t.text() == null ? "" : t.text();
            }
        }
        return "";
    }

    private static LlmException error(JsonNode error) {
        String type = error.path("type").asText("server").toLowerCase(Locale.ROOT);
        String message = error.path("message").asText("scripted " + type + " error");
        LlmException.Kind kind = switch (type) {
            case "rate_limit" -> LlmException.Kind.RATE_LIMIT;
            case "overloaded" -> LlmException.Kind.OVERLOADED;
            case "auth" -> LlmException.Kind.AUTH;
            case "bad_request" -> LlmException.Kind.BAD_REQUEST;
            case "timeout" -> LlmException.Kind.TIMEOUT;
            default -> LlmException.Kind.SERVER;
        };
        return new LlmException(kind, message);
    }

    private void pause() {
        if (latencyMillis <= 0) {
            return;
        }
        try {
            Thread.sleep(latencyMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LlmException(LlmException.Kind.CANCELLED, "Scripted model call was interrupted");
        }
    }

    private static String lastUserText(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage user) {
                return text(user);
            }
        }
        return "";
    }

    private static String text(UserMessage user) {
        if (user.hasSingleText()) {
            return user.singleText();
        }
        StringBuilder sb = new StringBuilder();
        for (Content c : user.contents()) {
            if (c instanceof TextContent t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }

    private static long chars(ChatMessage m) {
        if (m instanceof SystemMessage s) {
            return s.text().length();
        }
        if (m instanceof UserMessage u) {
            return text(u).length();
        }
        if (m instanceof ToolExecutionResultMessage t) {
            return t.text() == null ? 0 : t.text().length();
        }
        if (m instanceof AiMessage ai) {
            long n = ai.text() == null ? 0 : ai.text().length();
            if (ai.hasToolExecutionRequests()) {
                for (ToolExecutionRequest r : ai.toolExecutionRequests()) {
                    n += (r.name() == null ? 0 : r.name().length()) + (r.arguments() == null ? 0 : r.arguments().length());
                }
            }
            return n;
        }
        return 0;
    }

    private static int quarter(long chars) {
        return (int) ((chars + 3) / 4);
    }

    private static List<JsonNode> parse(String repliesJson) {
        if (repliesJson == null || repliesJson.isBlank()) {
            return List.of();
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(repliesJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("scriptedReplies must be a JSON array: " + JsonProblems.describe(e));
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException("scriptedReplies must be a JSON array, got: " + abbreviate(repliesJson));
        }
        List<JsonNode> out = new ArrayList<>();
        int i = 0;
        for (JsonNode node : root) {
            validate(node, i++);
            out.add(node);
        }
        return List.copyOf(out);
    }

    private static void validate(JsonNode node, int index) {
        String where = "scriptedReplies[" + index + "]";
        if (node.isTextual()) {
            return;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be a string or an object with text, json, toolCalls or error");
        }
        if (node.has("error")) {
            String type = node.get("error").path("type").asText("").toLowerCase(Locale.ROOT);
            if (!ERROR_TYPES.contains(type)) {
                throw new IllegalArgumentException(where + ".error.type must be one of " + ERROR_TYPES + ", got '" + type + "'");
            }
        } else if (node.has("toolCalls")) {
            JsonNode calls = node.get("toolCalls");
            if (!calls.isArray() || calls.isEmpty()) {
                throw new IllegalArgumentException(where + ".toolCalls must be a non-empty array");
            }
            for (JsonNode call : calls) {
                if (!call.path("name").isTextual()) {
                    throw new IllegalArgumentException(where + ".toolCalls entries need a string name");
                }
            }
        } else if (!node.has("json") && !node.path("text").isTextual()) {
            throw new IllegalArgumentException(where + " must have one of text, json, toolCalls or error");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
