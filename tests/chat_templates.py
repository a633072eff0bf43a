"""Chat templates of three model families, written here after each family's documented
layout (not copied from a model), on top of the embedded student's tokenizer.

    qwen      Hermes calls: tools in the system message inside <tools></tools>, calls in
              <tool_call> blocks, results as <tool_response> blocks in a user turn
    llama     Llama 3.1 JSON calls: tools in the first user message, a call is the whole
              assistant message {"name", "parameters"}, results in an `ipython` turn
    mistral   [AVAILABLE_TOOLS] before the last user message, [TOOL_CALLS] + a JSON list,
              results in [TOOL_RESULTS] ... [/TOOL_RESULTS]
"""

from __future__ import annotations

# HF renders templates with trim_blocks and lstrip_blocks: every newline is written out.
QWEN = (
    "{%- if tools %}{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0].role == 'system' %}{{- messages[0].content }}{% else %}{{- 'You are a helpful assistant.' }}{% endif %}"
    "{{- '\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{% endfor %}"
    "{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\"name\": <function-name>, \"arguments\": "
    "<args-json-object>}\\n</tool_call><|im_end|>\\n' }}"
    "{%- elif messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'user' or (m.role == 'system' and not loop.first) %}"
    "{{- '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}"
    "{%- elif m.role == 'assistant' %}{{- '<|im_start|>assistant' }}"
    "{%- if m.content %}{{- '\\n' + m.content }}{% endif %}"
    "{%- for tc in m.tool_calls or [] %}"
    "{{- '\\n<tool_call>\\n{\"name\": \"' + tc.function.name + '\", \"arguments\": ' }}"
    "{{- tc.function.arguments | tojson }}{{- '}\\n</tool_call>' }}{% endfor %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- elif m.role == 'tool' %}"
    "{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{- '<|im_start|>user' }}{% endif %}"
    "{{- '\\n<tool_response>\\n' + m.content + '\\n</tool_response>' }}"
    "{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{- '<|im_end|>\\n' }}{% endif %}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{% endif %}"
)

LLAMA = (
    "{{- bos_token + '<|start_header_id|>system<|end_header_id|>\\n\\nEnvironment: ipython\\n' }}"
    "{%- if messages[0].role == 'system' %}{{- messages[0].content }}{% endif %}{{- '<|eot_id|>' }}"
    "{%- set ns = namespace(shown=false) %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'user' %}{{- '<|start_header_id|>user<|end_header_id|>\\n\\n' }}"
    "{%- if tools and not ns.shown %}{%- set ns.shown = true %}"
    "{{- 'Given the following functions, please respond with a JSON for a function call with its proper "
    "arguments that best answers the given prompt.\\n\\nRespond in the format {\"name\": function name, "
    "\"parameters\": dictionary of argument name and its value}. Do not use variables.\\n\\n' }}"
    "{%- for t in tools %}{{- t | tojson + '\\n\\n' }}{% endfor %}{%- endif %}"
    "{{- m.content + '<|eot_id|>' }}"
    "{%- elif m.role == 'assistant' and m.tool_calls %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- for tc in m.tool_calls %}{{- '{\"name\": \"' + tc.function.name + '\", \"parameters\": ' }}"
    "{{- tc.function.arguments | tojson + '}' }}{% endfor %}{{- '<|eot_id|>' }}"
    "{%- elif m.role == 'assistant' %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' + m.content + '<|eot_id|>' }}"
    "{%- elif m.role == 'tool' %}{{- '<|start_header_id|>ipython<|end_header_id|>\\n\\n' + m.content + '<|eot_id|>' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)

MISTRAL = (
    "{{- bos_token }}"
    "{%- set ns = namespace(last=-1, system='') %}"
    "{%- for m in messages %}{% if m.role == 'user' %}{% set ns.last = loop.index0 %}{% endif %}"
    "{%- if m.role == 'system' %}{% set ns.system = m.content %}{% endif %}{% endfor %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'user' %}"
    "{%- if tools and loop.index0 == ns.last %}{{- '[AVAILABLE_TOOLS]' + tools | tojson + '[/AVAILABLE_TOOLS]' }}{% endif %}"
    "{{- '[INST]' }}{%- if ns.system and loop.index0 == ns.last %}{{- ns.system + '\\n\\n' }}{% endif %}"
    "{{- m.content + '[/INST]' }}"
    "{%- elif m.role == 'assistant' and m.tool_calls %}{{- '[TOOL_CALLS][' }}"
    "{%- for tc in m.tool_calls %}{{- '{\"name\": \"' + tc.function.name + '\", \"arguments\": ' }}"
    "{{- tc.function.arguments | tojson + ', \"id\": \"' + tc.id + '\"}' }}{% if not loop.last %}{{- ', ' }}{% endif %}"
    "{%- endfor %}{{- ']' + eos_token }}"
    "{%- elif m.role == 'assistant' %}{{- m.content + eos_token }}"
    "{%- elif m.role == 'tool' %}"
    "{{- '[TOOL_RESULTS]{\"content\": ' + m.content | tojson + ', \"call_id\": \"' + m.tool_call_id + '\"}[/TOOL_RESULTS]' }}"
    "{%- endif %}{%- endfor %}"
)

#: family -> (template, end-of-turn token, other special tokens the family's tokenizer has)
FAMILIES = {
    "qwen": (QWEN, "<|im_end|>", ["<tool_call>", "</tool_call>"]),
    "llama": (LLAMA, "<|eot_id|>", ["<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|python_tag|>"]),
    "mistral": (MISTRAL, "</s>", ["[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                                  "[TOOL_RESULTS]", "[/TOOL_RESULTS]"]),
}


def family_tokenizer(family: str):
    """The embedded student's tokenizer dressed as `family`'s: its template, its
    end-of-turn token as EOS, and its control tokens."""
    from transformers import AutoTokenizer

    from mentor_dsl.student import default_student_dir

    template, end, specials = FAMILIES[family]
    tokenizer = AutoTokenizer.from_pretrained(default_student_dir(), local_files_only=True)
    # <tool_call> stays ordinary text for Qwen (it is not a special token there either).
    added = [t for t in specials if family != "qwen"] + ([end] if end not in tokenizer.get_vocab() else [])
    if added:
        tokenizer.add_special_tokens({"additional_special_tokens": added})
    tokenizer.eos_token = end
    tokenizer.pad_token = end
    tokenizer.chat_template = template
    tokenizer.padding_side = "left"
    return tokenizer
