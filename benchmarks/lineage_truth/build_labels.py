"""Draft the truth labels of the lineage benchmark from public statements in the real records (run once).

    .venv/bin/python benchmarks/lineage_truth/build_labels.py [--shared ../shared/data]

This script was written and run, and its output ``labels.csv`` committed, BEFORE modelcensus was run on
these models (the commit history shows it). It does not import modelcensus: the labels come from

1. the records' own declarations (``card_data.base_model``, the model card's statement), followed up the
   chain through the other records of the slice until a model that declares nothing (the root) or a
   declared parent outside the slice (a dangling parent, labelled by hand in ``DANGLING`` from its public
   card or name);
2. hand tables with their sources: ``ORGS`` (namespace -> organisation key and country, from ATOM's
   ``organization_regions.csv`` and Epoch AI's tables, as cited), ``DANGLING`` and ``HAND`` (rows whose truth
   is not the declared chain: distills whose declared base contradicts the config, the official distills,
   re-uploads without a declaration), each with the statement it rests on.

Organisations are named by the registry's org keys only as identifiers (``ns:<namespace>`` when the
registry has no organisation for it); countries are ISO codes, ``null`` when no public source places the
organisation. ``?`` means "not labelled" (no public statement supports an answer) and is left out of scoring.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import records as R  # noqa: E402

HERE = Path(__file__).resolve().parent
FIELDS = ["model_id", "class", "source", "variant", "publisher_org", "publisher_country", "root_orgs",
          "root_countries", "teacher_org", "teacher_country", "label_source", "note"]

# namespace -> (org key, country or "null", where the country comes from)
ORGS: dict[str, tuple[str, str, str]] = {
    "deepseek-ai": ("deepseek", "CN", "atom: deepseek-ai,china"),
    "meta-llama": ("meta", "US", "atom: meta-llama,us"),
    "facebook": ("meta", "US", "atom: facebook,us"),
    "google": ("google", "US", "atom: google,us"),
    "microsoft": ("microsoft", "US", "atom: microsoft,us"),
    "mistralai": ("mistral", "FR", "atom: mistralai,eu; epoch: Mistral AI | France"),
    "LGAI-EXAONE": ("lg-ai", "KR", "atom: LGAI-EXAONE,other; epoch: LG AI Research | Korea"),
    "THUDM": ("zai", "CN", "atom: THUDM,china (legacy GLM namespace, now zai-org)"),
    "zai-org": ("zai", "CN", "atom: zai-org,china"),
    "EleutherAI": ("eleutherai", "null", "atom: EleutherAI,unknown (distributed collective)"),
    "bigscience": ("bigscience", "null", "no single seat (international workshop); ATOM does not list it"),
    "stabilityai": ("stability", "GB", "atom: stabilityai,eu; epoch: Stability AI | United Kingdom"),
    "EvolutionaryScale": ("evolutionaryscale", "US", "epoch: ESM3 | EvolutionaryScale | United States"),
    "Qwen": ("alibaba-qwen", "CN", "atom: Qwen,china"),
    "openai-community": ("openai", "US", "atom: openai,us"),
    "tencent": ("tencent", "CN", "epoch: Hunyuan-Large | Tencent | China"),
    "TencentARC": ("tencent", "CN", "epoch: Tencent | China (TencentARC is Tencent's ARC Lab)"),
    "xai-org": ("xai", "US", "atom: xai-org,us"),
    "nvidia": ("nvidia", "US", "atom: nvidia,us"),
    "internlm": ("shanghai-ai-lab", "CN", "atom: internlm,china"),
    "HuggingFaceTB": ("huggingface", "US", "atom: HuggingFaceTB,us"),
    "CohereForAI": ("cohere", "CA", "atom: CohereForAI,other (renamed CohereLabs); epoch: Cohere | Canada"),
    "AIDC-AI": ("alibaba-aidc", "CN", "atom: AIDC-AI,china (renamed ATH-MaaS)"),
    "perplexity-ai": ("perplexity", "US", "epoch: PPLX-70B-Online | Perplexity | United States"),
    "hexgrad": ("hexgrad", "null", "pseudonymous individual"),
    "yl4579": ("ns:yl4579", "null", "an individual researcher's account (StyleTTS 2)"),
    "unsloth": ("unsloth", "US", "site: unsloth.ai (San Francisco)"),
    "PrunaAI": ("pruna", "DE", "site: pruna.ai (Munich)"),
}

# declared parents that are not in the slice: id -> (root org, teacher org or "", the statement)
DANGLING: dict[str, tuple[str, str, str]] = {
    "microsoft/phi-4": ("microsoft", "", "Microsoft's own model"),
    "microsoft/Phi-4-multimodal-instruct": ("microsoft", "", "Microsoft's own model"),
    "microsoft/OmniParser-v2.0": ("microsoft", "", "Microsoft's own model"),
    "unsloth/phi-4": ("microsoft", "", "unsloth re-upload; its card names microsoft/phi-4"),
    "deepseek-ai/DeepSeek-V3-0324": ("deepseek", "", "DeepSeek's own model"),
    "deepseek-ai/DeepSeek-V3-Base": ("deepseek", "", "DeepSeek's own model"),
    "deepseek-ai/DeepSeek-R1-Zero": ("deepseek", "", "DeepSeek's own model"),
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B": ("alibaba-qwen", "deepseek",
                                                 "DeepSeek-R1 card, distill table: base Qwen2.5-32B, R1 samples"),
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": ("alibaba-qwen", "deepseek",
                                                  "DeepSeek-R1 card: base Qwen2.5-Math-1.5B, R1 samples"),
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B": ("meta", "deepseek",
                                                  "DeepSeek-R1 card: base Llama-3.3-70B-Instruct, R1 samples"),
    "unsloth/deepseek-r1-distill-llama-8b-unsloth-bnb-4bit": (
        "meta", "deepseek", "unsloth 4-bit of DeepSeek-R1-Distill-Llama-8B (base Llama-3.1-8B per the R1 card)"),
    "meta-llama/Llama-3.3-70B-Instruct": ("meta", "", "Meta's own model"),
    "meta-llama/Llama-3.1-8B-Instruct": ("meta", "", "Meta's own model"),
    "mistralai/Mistral-7B-Instruct-v0.3": ("mistral", "", "Mistral's own model"),
    "openai-community/gpt2": ("openai", "", "OpenAI's GPT-2"),
    "facebook/esm2_t30_150M_UR50D": ("meta", "", "Meta's ESM-2"),
    "LGAI-EXAONE/EXAONE-3.5-32B-Instruct": ("lg-ai", "", "LG AI Research's own model"),
    "THUDM/CogVideoX1.5-5B-I2V": ("zai", "", "THUDM's own model"),
    "THUDM/CogVideoX-5b-I2V": ("zai", "", "THUDM's own model"),
    "THUDM/CogVideoX1.5-5B": ("zai", "", "THUDM's own model"),
    "tencent/HunyuanVideo": ("tencent", "", "Tencent's own model"),
    "tencent/DepthCrafter": ("tencent", "", "Tencent's own model"),
    "tencent/Hunyuan3D-2": ("tencent", "", "Tencent's own model"),
    "xai-org/grok-1": ("xai", "", "xAI's own model"),
    "yl4579/StyleTTS2-LJSpeech": ("ns:yl4579", "", "StyleTTS 2 checkpoint of its author"),
    "stabilityai/stable-diffusion-2-inpainting": ("stability", "", "Stability AI's own model"),
}
# parents whose own origin the slice cannot establish: records declaring them are not labelled
UNTRACEABLE = {"openbmb/MiniCPM-o-2_6", "dkp2701/BERT-based-Multiclass-Emotion-Classification",
               "openfree/flux-chatgpt-ghibli-lora", "ali-vilab/i2vgen-xl", "arcee-ai/Arcee-Blitz"}
# the config model_type every LLM tree's members share (a substring); a member whose config names another
# family declares a base the config contradicts (issue class 2) and is left out unless labelled in HAND_ROWS
FAMILY_OF_TREE = [("(?i)gemma", "gemma"), ("(?i)Llama-2|Llama-4", "llama"), ("(?i)phi-2", "phi"),
                  ("(?i)Mistral-Small|DeepHermes", "mistral"), ("(?i)EXAONE", "exaone"),
                  ("(?i)DeepSeek-R1|DeepSeek-V3|r1-1776", "deepseek"), ("(?i)gpt-neox", "gpt_neox"),
                  ("(?i)bloom", "bloom")]
INTERMEDIARIES = {"unsloth", "mlx-community", "mradermacher", "TheBloke", "bartowski", "RedHatAI", "MaziyarPanahi",
                  "NousResearch"}
FORMAT_RE = re.compile(r"(?i)(gguf|ggml|exl2|awq|gptq|bnb|mlx|onnx|smashed|fp4|fp8|bf16|int4|int8|[0-9]bit)")
COUNTRY = {key: c for key, c, _ in ORGS.values()} | {"alibaba-qwen": "CN", "lg-ai": "KR", "ns:yl4579": "null"}

# hand labels (model id -> root orgs, teacher org, statement); class and source given in HAND_ROWS
HAND_ROWS: list[tuple[str, str, str, str, str, str, str]] = [
    # (model_id, class, source, variant, root_orgs, teacher_org, label_source)
    # --- official distills: the record carries no base_model (leaderboard: metadata_base_model = itself; ATOM: id)
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "official_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "official card (DeepSeek-R1 README distill table): base Qwen2.5-Math-1.5B, fine-tuned on DeepSeek-R1 samples"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "official_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "official card: base Qwen2.5-Math-7B, DeepSeek-R1 samples"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", "official_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "official card: base Qwen2.5-14B, DeepSeek-R1 samples"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "official_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "official card: base Qwen2.5-32B, DeepSeek-R1 samples"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "official_distill", "leaderboard", "", "meta", "deepseek",
     "official card: base Llama-3.1-8B, DeepSeek-R1 samples (the issue's example)"),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "official_distill", "leaderboard", "", "meta", "deepseek",
     "official card: base Llama-3.3-70B-Instruct, DeepSeek-R1 samples"),
    ("deepseek-ai/DeepSeek-R1-0528-Qwen3-8B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: chain-of-thought of DeepSeek-R1-0528 distilled into Qwen3-8B Base"),
    ("nvidia/OpenReasoning-Nemotron-7B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: post-trained from Qwen2.5-7B-Instruct on DeepSeek-R1-0528 generated reasoning"),
    ("internlm/OREAL-DeepSeek-R1-Distill-Qwen-7B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: OREAL RL on DeepSeek-R1-Distill-Qwen-7B (a Qwen2.5-Math-7B body distilled from R1)"),
    # (added before their first run, with the second label commit: more official distills from ATOM's list)
    ("nvidia/OpenCodeReasoning-Nemotron-7B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: a derivative of Qwen2.5-7B-Instruct post-trained on OpenCodeReasoning (DeepSeek-R1 answers)"),
    ("nvidia/OpenCodeReasoning-Nemotron-14B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: a derivative of Qwen2.5-14B-Instruct post-trained on OpenCodeReasoning (DeepSeek-R1)"),
    ("nvidia/OpenCodeReasoning-Nemotron-32B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: a derivative of Qwen2.5-32B-Instruct post-trained on OpenCodeReasoning (DeepSeek-R1)"),
    ("nvidia/OpenMath-Nemotron-1.5B", "official_distill", "atom", "", "alibaba-qwen", "?",
     "official card: Qwen2.5-Math-1.5B fine-tuned on OpenMathReasoning, whose solutions come from DeepSeek-R1 and "
     "QwQ-32B (two teachers: not labelled)"),
    ("nvidia/OpenMath-Nemotron-7B", "official_distill", "atom", "", "alibaba-qwen", "?",
     "official card: Qwen2.5-Math-7B fine-tuned on OpenMathReasoning (DeepSeek-R1 and QwQ-32B solutions)"),
    ("nvidia/OpenMath-Nemotron-14B", "official_distill", "atom", "", "alibaba-qwen", "?",
     "official card: Qwen2.5-14B fine-tuned on OpenMathReasoning (DeepSeek-R1 and QwQ-32B solutions)"),
    ("nvidia/OpenMath-Nemotron-32B", "official_distill", "atom", "", "alibaba-qwen", "?",
     "official card: Qwen2.5-32B fine-tuned on OpenMathReasoning (DeepSeek-R1 and QwQ-32B solutions)"),
    ("nvidia/AceReason-Nemotron-14B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: RL starting from DeepSeek-R1-Distill-Qwen-14B (a Qwen2.5-14B distilled from R1)"),
    ("nvidia/Llama-3.1-Nemotron-Nano-8B-v1", "official_distill", "atom", "", "meta", "?",
     "official card: derived from Llama-3.1-8B-Instruct, post-trained on synthetic data of several models"),
    ("microsoft/Phi-4-mini-reasoning", "official_distill", "atom", "", "microsoft", "deepseek",
     "official card: Phi-4-mini fine-tuned on synthetic math data generated by DeepSeek-R1"),
    ("microsoft/Phi-4-reasoning", "official_distill", "atom", "", "microsoft", "openai",
     "official card: supervised fine-tuning of Phi-4 on reasoning demonstrations generated by o3-mini"),
    ("microsoft/Phi-4-reasoning-plus", "official_distill", "atom", "", "microsoft", "openai",
     "official card: Phi-4-reasoning (o3-mini demonstrations) further trained with reinforcement learning"),
    ("Skywork/Skywork-OR1-32B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: RL on top of DeepSeek-R1-Distill-Qwen-32B"),
    ("Skywork/Skywork-OR1-7B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: RL on top of DeepSeek-R1-Distill-Qwen-7B"),
    ("Skywork/Skywork-OR1-Math-7B", "official_distill", "atom", "", "alibaba-qwen", "deepseek",
     "official card: RL on top of DeepSeek-R1-Distill-Qwen-7B, math-focused"),
    ("open-thoughts/OpenThinker-7B", "official_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "leaderboard base Qwen/Qwen2.5-7B; official card: fine-tuned on OpenThoughts-114k (DeepSeek-R1 traces)"),
    # --- community distills: declared DeepSeek-R1 while the config is another family (issue class 2), or a
    #     name/declaration naming an R1 distill
    ("beita6969/DeepSeek-R1-Distill-Qwen-32B-Medical", "community_distill", "trees", "", "alibaba-qwen", "deepseek",
     "card_data.base_model deepseek-ai/DeepSeek-R1, config qwen2 with 32.8B parameters, name R1-Distill-Qwen-32B"),
    ("Jianshu001/Efficient_CoT_DeepSeek-R1-Distill-Qwen-7B", "community_distill", "trees", "", "alibaba-qwen",
     "deepseek", "declares DeepSeek-R1; config qwen2 7.6B; name R1-Distill-Qwen-7B"),
    ("andong90/DeepSeek-R1-Distill-Qwen-7B-student-mental-health-json", "community_distill", "trees", "",
     "alibaba-qwen", "deepseek", "declares DeepSeek-R1; config qwen2 7.6B; name R1-Distill-Qwen-7B"),
    ("deca-ai/2-mini", "community_distill", "trees", "", "alibaba-qwen", "deepseek",
     "declares DeepSeek-R1; config qwen2 with 14.8B parameters (the R1-Distill-Qwen-14B body)"),
    ("deca-ai/2-mini-beta", "community_distill", "trees", "", "alibaba-qwen", "deepseek",
     "declares DeepSeek-R1; config qwen2 with 14.8B parameters"),
    ("wangju123/xiaoju", "community_distill", "trees", "", "alibaba-qwen", "deepseek",
     "declares DeepSeek-R1; config qwen2 with 1.78B parameters (the R1-Distill-Qwen-1.5B body)"),
    ("beita6969/deepseek-r1-medical-response", "community_distill", "trees", "", "meta", "deepseek",
     "declares DeepSeek-R1; config llama with 8,030,261,248 parameters (Llama-3.1-8B, the R1-Distill-Llama-8B body)"),
    ("gimmy256/deepseek_r1_finetuned", "community_distill", "trees", "", "meta", "deepseek",
     "declares unsloth/deepseek-r1-distill-llama-8b-unsloth-bnb-4bit and DeepSeek-R1; config llama"),
    ("ykarout/phi-4-deepseek-reasoning", "community_distill", "trees", "", "microsoft", "deepseek",
     "declares unsloth/phi-4 and DeepSeek-R1; config llama-format with 14.66B parameters (phi-4); name"),
    ("Dongwei/DeepSeek-R1-Distill-Qwen-7B-GRPO", "community_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "leaderboard base deepseek-ai/DeepSeek-R1-Distill-Qwen-7B (card); Qwen2ForCausalLM"),
    ("NikolaSigmoid/DeepSeek-R1-Distill-Qwen-1.5B-500", "community_distill", "leaderboard", "", "alibaba-qwen",
     "deepseek", "leaderboard base deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B; Qwen2ForCausalLM"),
    ("braindao/DeepSeek-R1-Distill-Qwen-7B-ORPO-Uncensored", "community_distill", "leaderboard", "", "alibaba-qwen",
     "deepseek", "leaderboard base deepseek-ai/DeepSeek-R1-Distill-Qwen-7B; Qwen2ForCausalLM"),
    ("braindao/DeepSeek-R1-Distill-Qwen-14B", "community_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "no base declared (leaderboard base = itself); name = the official R1-Distill-Qwen-14B; Qwen2ForCausalLM"),
    ("braindao/DeepSeek-R1-Distill-Qwen-7B", "community_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "no base declared; name = the official R1-Distill-Qwen-7B; Qwen2ForCausalLM"),
    ("braindao/DeepSeek-R1-Distill-Qwen-14B-Blunt", "community_distill", "leaderboard", "", "alibaba-qwen",
     "deepseek", "no base declared; name R1-Distill-Qwen-14B; Qwen2ForCausalLM 14.77B"),
    ("braindao/DeepSeek-R1-Distill-Qwen-1.5B-Reflective", "community_distill", "leaderboard", "", "alibaba-qwen",
     "deepseek", "no base declared; name R1-Distill-Qwen-1.5B; Qwen2ForCausalLM 1.78B"),
    ("mobiuslabsgmbh/DeepSeek-R1-ReDistill-Qwen-7B-v1.1", "community_distill", "leaderboard", "", "alibaba-qwen",
     "deepseek", "no base declared; name R1-ReDistill-Qwen-7B (re-distilled R1-Distill-Qwen-7B); Qwen2ForCausalLM"),
    ("mobiuslabsgmbh/DeepSeek-R1-ReDistill-Llama3-8B-v1.1", "community_distill", "leaderboard", "", "meta",
     "deepseek", "no base declared; name R1-ReDistill-Llama3-8B; LlamaForCausalLM 8.03B"),
    ("suayptalha/DeepSeek-R1-Distill-Llama-3B", "community_distill", "leaderboard", "", "meta", "deepseek",
     "no base declared; name R1-Distill-Llama-3B; LlamaForCausalLM 3.21B (the Llama-3.2-3B shape)"),
    ("Triangle104/DS-R1-Distill-Q2.5-7B-RP", "community_distill", "leaderboard", "", "alibaba-qwen", "deepseek",
     "no base declared; name DS-R1-Distill-Q2.5 (Qwen2.5); Qwen2ForCausalLM 7.6B"),
    ("Triangle104/DSR1-Distill-Llama-Lit-8B", "community_distill", "leaderboard", "", "meta", "deepseek",
     "no base declared; name DSR1-Distill-Llama 8B; LlamaForCausalLM 8.03B"),
    ("Quazim0t0/Phi4.Turn.R1Distill.16bit", "community_distill", "leaderboard", "", "microsoft", "deepseek",
     "leaderboard base microsoft/phi-4; name R1Distill"),
    ("ewre324/ewre324-R1-SmolLM2-135M-Distill", "community_distill", "leaderboard", "", "huggingface", "deepseek",
     "no base declared; name R1-SmolLM2-135M-Distill; LlamaForCausalLM 0.135B (SmolLM2-135M shape)"),
    ("kz919/QwQ-0.5B-Distilled-SFT", "community_distill", "leaderboard", "", "alibaba-qwen", "alibaba-qwen",
     "no base declared; name QwQ-0.5B-Distilled (Qwen's QwQ as teacher); Qwen2ForCausalLM 0.49B"),
    ("netcat420/DeepSeek-R1-Distill-Qwen-MFANN-Slerp-7b", "community_distill", "leaderboard", "", "alibaba-qwen",
     "deepseek", "no base declared; name R1-Distill-Qwen 7b slerp; Qwen2ForCausalLM 7.6B"),
    # --- re-uploads whose record declares nothing: the name is the original's
    ("unsloth/Phi-3-mini-4k-instruct", "quantizer_reuploader", "leaderboard", "", "microsoft", "",
     "no base declared (leaderboard base = itself); unsloth re-upload named after microsoft/Phi-3-mini-4k-instruct"),
    ("unsloth/Llama-3.2-1B-Instruct-no-system-message", "quantizer_reuploader", "leaderboard", "", "meta", "",
     "no base declared (leaderboard: Removed); unsloth variant of meta-llama/Llama-3.2-1B-Instruct"),
    ("unsloth/Llama-3.2-1B-Instruct", "quantizer_reuploader", "leaderboard", "blank_base", "meta", "",
     "leaderboard base meta-llama/Llama-3.2-1B-Instruct (blanked here)"),
    ("unsloth/phi-4", "quantizer_reuploader", "leaderboard", "blank_base", "microsoft", "",
     "leaderboard base microsoft/phi-4 (blanked here)"),
    ("unsloth/phi-4-bnb-4bit", "quantizer_reuploader", "leaderboard", "", "microsoft", "",
     "leaderboard base microsoft/phi-4"),
    ("unsloth/phi-4-unsloth-bnb-4bit", "quantizer_reuploader", "leaderboard", "", "microsoft", "",
     "leaderboard base microsoft/phi-4"),
    # --- renamed organisations: leaderboard rows under the old namespaces (roots themselves)
    ("THUDM/glm-4-9b", "renamed_org", "leaderboard", "", "zai", "", "THUDM's own base model; THUDM is now zai-org"),
    ("THUDM/glm-4-9b-chat", "renamed_org", "leaderboard", "", "zai", "", "THUDM's own chat model"),
    ("THUDM/glm-4-9b-chat-1m", "renamed_org", "leaderboard", "", "zai", "", "THUDM's own model"),
    ("THUDM/glm-4-9b-chat-hf", "renamed_org", "leaderboard", "", "zai", "", "THUDM's own model (hf format)"),
    ("THUDM/glm-4-9b-chat-1m-hf", "renamed_org", "leaderboard", "", "zai", "", "THUDM's own model (hf format)"),
    ("CohereForAI/aya-23-8B", "renamed_org", "leaderboard", "", "cohere", "", "Cohere For AI's model; now CohereLabs"),
    ("CohereForAI/aya-23-35B", "renamed_org", "leaderboard", "", "cohere", "", "Cohere For AI's model"),
    ("CohereForAI/aya-expanse-8b", "renamed_org", "leaderboard", "", "cohere", "", "Cohere For AI's model"),
    ("CohereForAI/aya-expanse-32b", "renamed_org", "leaderboard", "", "cohere", "", "Cohere For AI's model"),
    ("CohereForAI/c4ai-command-r-v01", "renamed_org", "leaderboard", "", "cohere", "", "Cohere's model"),
    ("CohereForAI/c4ai-command-r-plus", "renamed_org", "leaderboard", "", "cohere", "", "Cohere's model"),
    ("CohereForAI/c4ai-command-r-plus-08-2024", "renamed_org", "leaderboard", "", "cohere", "", "Cohere's model"),
    ("CohereForAI/c4ai-command-r7b-12-2024", "renamed_org", "leaderboard", "", "cohere", "", "Cohere's model"),
    ("AIDC-AI/Marco-o1", "renamed_org", "leaderboard", "", "alibaba-qwen", "",
     "no base declared; Marco-o1's card: a full-parameter fine-tune of Qwen2-7B-Instruct; Qwen2ForCausalLM"),
]
HAND_TRUTH = {r[0]: (r[4], r[5], r[6]) for r in HAND_ROWS}

# Datasets of distillation traces named in card_data.datasets: a teacher declaration (issue 9: "a teacher comes
# from a declaration (card data, datasets named as distillation traces)"). Teacher per the dataset's own card;
# "?" when it names several teachers or its responses are not plainly one model's traces.
TRACE_DATASETS: dict[str, str] = {
    "open-thoughts/OpenThoughts-114k": "deepseek",        # card: reasoning traces distilled from DeepSeek-R1
    "PJMixers-Dev/open-thoughts_OpenThoughts-114k-CustomShareGPT": "deepseek",  # a reformat of OpenThoughts-114k
    "open-r1/OpenR1-Math-220k": "deepseek",               # card: reasoning traces generated by DeepSeek R1
    "NovaSky-AI/Sky-T1_data_17k": "alibaba-qwen",         # card: generated by QwQ-32B-Preview
    "PowerInfer/QWQ-LONGCOT-500K": "alibaba-qwen",        # card: long chain-of-thought generated by QwQ-32B-Preview
    "Congliu/Chinese-DeepSeek-R1-Distill-data-110k": "deepseek",      # card: distilled from DeepSeek-R1
    "Congliu/Chinese-DeepSeek-R1-Distill-data-110k-SFT": "deepseek",
    "ServiceNow-AI/R1-Distill-SFT": "deepseek",           # card: DeepSeek-R1-Distill-Qwen-32B generated
    "FreedomIntelligence/Medical-R1-Distill-Data-Chinese": "deepseek",  # card: distilled from DeepSeek-R1
    "FreedomIntelligence/medical-o1-reasoning-SFT": "openai",  # card: constructed with GPT-4o
    "bespokelabs/Bespoke-Stratos-17k": "deepseek",        # card: reasoning traces from DeepSeek-R1
    "nvidia/OpenCodeReasoning": "deepseek",               # card: responses generated by DeepSeek-R1
    "simplescaling/s1K": "google",                        # card: traces of Gemini Flash Thinking
    "simplescaling/s1K-1.1": "deepseek",                  # card: the same questions, traces of DeepSeek-R1
    "cognitivecomputations/dolphin-r1": "?",              # R1 and Gemini 2.0 Flash Thinking traces
    "nvidia/Llama-Nemotron-Post-Training-Dataset": "?",   # responses from several models
    "facebook/natural_reasoning": "?",                    # reference answers by Llama-3.3-70B: not plainly traces
    "microsoft/orca-agentinstruct-1M-v1": "?",            # synthetic, several generators
}
COUNTRY |= {"huggingface": "US", "cohere": "CA", "zai": "CN", "microsoft": "US", "meta": "US"}


def chain_roots(mid: str, ctx: dict[str, dict], seen: frozenset = frozenset()) -> tuple[set[str], set[str], str]:
    """(root orgs, teacher orgs, how) by following card_data.base_model through the context records."""
    if mid in UNTRACEABLE:
        raise LookupError(mid)
    if mid in HAND_TRUTH:  # a hand label (distills, re-uploads without a declaration) beats the declared chain
        orgs, teacher, why = HAND_TRUTH[mid]
        return set(orgs.split(";")), {teacher} if teacher else set(), f"hand label of {mid}: {why}"
    rec = ctx.get(mid.lower())
    if rec is None:
        if mid in DANGLING:
            org, teacher, why = DANGLING[mid]
            return {org}, {teacher} if teacher else set(), f"dangling {mid}: {why}"
        raise LookupError(f"dangling parent {mid} without a hand label")
    bases = [b for b in R.declared_bases(rec) if b.lower() != mid.lower()]
    own = dataset_teachers(rec)  # the nearest declaration wins: the model's own trace datasets first
    if not bases or mid in seen:
        ns = rec["id"].split("/", 1)[0]
        if ns not in ORGS:
            raise LookupError(f"root {mid}: namespace {ns} without a hand label")
        return {ORGS[ns][0]}, own, f"root {rec['id']}"
    orgs: set[str] = set()
    teachers: set[str] = set()
    hows = []
    for b in bases:
        o, t, how = chain_roots(b, ctx, seen | {mid})
        orgs |= o
        teachers |= t
        hows.append(how)
    return orgs, own or teachers, "; ".join(sorted(set(hows)))


def dataset_teachers(rec: dict | None) -> set[str]:
    """Teachers declared by naming distillation-trace datasets in card_data.datasets."""
    ds = R.card_data(rec or {}).get("datasets") or []
    ds = [ds] if isinstance(ds, str) else ds
    return {TRACE_DATASETS[d] for d in ds if isinstance(d, str) and d in TRACE_DATASETS}


def one_teacher(teachers: set[str]) -> str:
    """One teacher label from a set: the only one, ``?`` when several or unclear, ``""`` when none."""
    if len(teachers) == 1 and "?" not in teachers:
        return next(iter(teachers))
    return "?" if teachers else ""


def mentions_distill(rec: dict) -> bool:
    text = " ".join([rec.get("id", ""), str(R.card_data(rec)), (rec.get("card") or "")[:20000]])
    return "distil" in text.lower()


def row(mid: str, cls: str, source: str, variant: str, roots: set[str], teacher: str, how: str,
        rec: dict | None, note: str = "") -> dict[str, str]:
    ns = mid.split("/", 1)[0]
    pub = ORGS.get(ns, (f"ns:{ns}", "?", ""))
    if teacher == "" and rec is not None and mentions_distill(rec):
        teacher, note = "?", (note + " teacher not labelled: the record mentions distillation").strip()
    t_country = "" if teacher in ("", "?") else COUNTRY[teacher]
    return {"model_id": mid, "class": cls, "source": source, "variant": variant, "publisher_org": pub[0],
            "publisher_country": pub[1], "root_orgs": ";".join(sorted(roots)),
            "root_countries": ";".join(sorted({COUNTRY[o] for o in roots})),
            "teacher_org": teacher or "none", "teacher_country": t_country or ("" if teacher else "none"),
            "label_source": how, "note": note}


def pick(items: list[str], n: int) -> list[str]:
    """n items spread evenly over the sorted list (deterministic)."""
    items = sorted(items)
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=R.DEFAULT_SHARED)
    ap.add_argument("--out", type=Path, default=HERE / "labels.csv")
    ap.add_argument("--previous", type=Path, default=None, help="an earlier labels file: changed labels say so")
    args = ap.parse_args(argv)
    src = R.load_sources(args.shared)
    trees = src["trees"]
    ctx = {k.lower(): v for k, v in trees.items()}
    tree_of = {}
    for mid, rec in trees.items():
        tree_of[mid] = rec.get("_source", "")
    rows: list[dict[str, str]] = []
    used: set[str] = set()

    def add(r: dict[str, str]) -> None:
        assert r["model_id"].lower() not in used, r["model_id"]
        used.add(r["model_id"].lower())
        rows.append(r)

    for mid, cls, source, variant, roots, teacher, how in HAND_ROWS:
        rec = trees.get(mid) if source == "trees" else src[source].get(mid)
        if rec is None:
            raise SystemExit(f"{mid}: not in {source}")
        ctx.setdefault(mid.lower(), rec)
        own = dataset_teachers(rec)
        if own and own != ({teacher} if teacher else set()):
            teacher, how = "?", how + "; its trace datasets name another teacher, so the teacher is not labelled"
        r = row(mid, cls, source, variant, set(roots.split(";")), teacher, how, None)
        if variant == "blank_base":
            r["note"] = "variant blank_base: card_data.base_model and base_model tags removed in memory"
        add(r)

    def traced(mid: str) -> tuple[set[str], set[str], str] | None:
        try:
            return chain_roots(mid, ctx)
        except LookupError:
            return None

    def tree_name(mid: str) -> str:
        return tree_of[mid].split("__")[-1]

    def is_llm_tree(mid: str) -> bool:
        return not re.search(r"(?i)stable-diffusion|stable-video|CogVideoX|Kokoro|esm3|Janus|nsfw|distiluse|"
                             r"ControlNet|openjourney|OrangeMixs", tree_name(mid))

    by_class: dict[str, list[str]] = {k: [] for k in ("quantizer_reuploader", "format_conversion", "merge", "adapter",
                                                      "renamed_org", "non_llm", "declared_finetune")}
    contradicted: list[str] = []
    for mid, rec in trees.items():
        if mid.lower() in used:
            continue
        bases = R.declared_bases(rec)
        family = next((tok for pat, tok in FAMILY_OF_TREE if re.search(pat, tree_name(mid))), None)
        mtype = str((rec.get("config") or {}).get("model_type") or "")
        if (family and mtype and family not in mtype.lower()) or (family == "deepseek" and "distil" in mid.lower()):
            # (a DeepSeek-tree name saying "distill" without a config: the body is not known from the record)
            contradicted.append(mid)  # a declared base its config contradicts: the truth is not in the record
            continue
        ns = mid.split("/", 1)[0]
        tags = [str(t).lower() for t in rec.get("tags") or []]
        if re.search(r"(?i)CogVideoX", tree_name(mid)):
            by_class["renamed_org"].append(mid)
        elif not is_llm_tree(mid):
            by_class["non_llm"].append(mid)
        elif len(bases) > 1:
            by_class["merge"].append(mid)
        elif ns in INTERMEDIARIES:
            by_class["quantizer_reuploader"].append(mid)
        elif bases and (FORMAT_RE.search(mid.split("/", 1)[1]) or "gguf" in tags):
            by_class["format_conversion"].append(mid)
        elif rec.get("library_name") == "peft" or "peft" in tags or "lora" in tags:
            by_class["adapter"].append(mid)
        elif bases:
            by_class["declared_finetune"].append(mid)

    # non-LLM trees whose root's own origin the slice cannot establish (no card text, no declaration, and the
    # current cards say otherwise) are left out: Falconsai's ViT, distiluse, openjourney, OrangeMixs, ControlNet
    skip_trees = re.compile(r"(?i)nsfw|distiluse|openjourney|OrangeMixs|ControlNet")
    quotas = {"quantizer_reuploader": 60, "format_conversion": 40, "merge": 40, "adapter": 20, "renamed_org": 30,
              "non_llm": 60, "declared_finetune": 50}
    undeclared_pool: list[str] = []
    for cls, mids in by_class.items():
        ok = [m for m in mids if not skip_trees.search(tree_name(m)) and traced(m) is not None]
        if cls == "declared_finetune":
            # keep a config-bearing part aside for the undeclared class, spread over the trees
            cfg: dict[str, list[str]] = {}
            for m in ok:
                if (trees[m].get("config") or {}).get("model_type"):
                    cfg.setdefault(tree_name(m).split("_finetunes")[0], []).append(m)
            undeclared_pool = [x for ms in cfg.values() for x in pick(ms, 7)]
            ok = [m for m in ok if m not in set(undeclared_pool)]
            per_tree: dict[str, list[str]] = {}
            for m in ok:
                per_tree.setdefault(tree_name(m), []).append(m)
            chosen = [x for ms in per_tree.values() for x in pick(ms, 6)]
        elif cls == "non_llm":
            per_tree = {}
            for m in ok:
                per_tree.setdefault(tree_name(m), []).append(m)
            chosen = [x for ms in per_tree.values() for x in pick(ms, 14)]
        else:
            chosen = pick(ok, quotas[cls])
        for m in chosen:
            roots, teachers, how = traced(m)
            add(row(m, cls, "trees", "", roots, one_teacher(teachers), f"card_data.base_model chain: {how}",
                    trees[m]))

    # blanked variants: re-uploads and format conversions named after their original, and plain fine-tunes
    for _cls, mids, n in (("quantizer_reuploader", [r["model_id"] for r in rows if r["class"] == "quantizer_reuploader"
                                                    and r["source"] == "trees"], 10),
                          ("format_conversion", [r["model_id"] for r in rows if r["class"] == "format_conversion"], 8)):
        for m in pick(mids, n):
            r = next(x for x in rows if x["model_id"] == m)
            r["variant"] = "blank_base"
            r["note"] = (r["note"] + " variant blank_base: declaration removed in memory; the truth is the declared "
                         "chain of the real record").strip()
    for m in undeclared_pool:
        roots, teachers, how = traced(m)
        r = row(m, "undeclared_finetune", "trees", "blank_base", roots, one_teacher(teachers),
                f"card_data.base_model chain of the real record: {how}", trees[m],
                "variant blank_base: declaration removed in memory")
        add(r)
    for r in rows:
        if r["source"] == "trees":
            r["source"] = "trees:" + tree_of[r["model_id"]].split("/")[-1]
    if args.previous and args.previous.is_file():
        with args.previous.open(encoding="utf-8") as fh:
            before = {x["model_id"]: x for x in csv.DictReader(fh)}
        for r in rows:
            old_row = before.get(r["model_id"])
            if old_row and old_row["teacher_org"] != r["teacher_org"]:
                r["note"] = (r["note"] + f" LABEL CHANGED after the first scored run: teacher was "
                             f"{old_row['teacher_org']}; the first labeller did not read card_data.datasets, which "
                             "the issue counts as a teacher declaration (datasets of distillation traces)").strip()
            elif old_row and "LABEL CHANGED" in old_row["note"]:
                r["note"] = old_row["note"]
    args.out.write_text("", encoding="utf-8")
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for r in sorted(rows, key=lambda x: (x["class"], x["model_id"].lower())):
            w.writerow(r)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    print(len(rows), counts, f"left out (config contradicts the declared base): {len(contradicted)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
