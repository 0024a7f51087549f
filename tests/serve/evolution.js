// SPDX-License-Identifier: LGPL-2.1-or-later
// The converter call of Evolution API's processAudio, made exactly the
// way it makes it: a form-data FormData with `file` (buffer, filename,
// contentType) or `url` or `base64`, plus `format`; axios.post with
// formData.getHeaders() and the `apikey` header; the answer's `audio`.
// Usage: node evolution.js CONVERTER_URL KEY SOURCE FORMAT INPUT OUT
//   SOURCE file|url|base64; INPUT a path (file, base64) or a URL (url).
// Writes the decoded `audio` to OUT and prints the answer without it.
'use strict';
const fs = require('fs');
const axios = require('axios');
const FormData = require('form-data');

async function main() {
  const [url, key, source, format, input, out] = process.argv.slice(2);
  const formData = new FormData();
  if (source === 'file') {
    formData.append('file', fs.readFileSync(input), {
      filename: 'audio.wav',
      contentType: 'audio/wav',
    });
  } else if (source === 'url') {
    formData.append('url', input);
  } else {
    formData.append('base64', fs.readFileSync(input).toString('base64'));
  }
  formData.append('format', format);
  let response;
  try {
    response = await axios.post(url, formData, {
      headers: { ...formData.getHeaders(), apikey: key },
    });
  } catch (error) {
    const r = error.response;
    console.log(JSON.stringify({ status: r ? r.status : null,
                                 data: r ? r.data : String(error) }));
    process.exit(3);
  }
  if (!response?.data?.audio) {
    console.log(JSON.stringify({ status: response.status, data: 'no audio' }));
    process.exit(4);
  }
  fs.writeFileSync(out, Buffer.from(response.data.audio, 'base64'));
  const { audio, ...rest } = response.data;
  console.log(JSON.stringify({ status: response.status, data: rest,
                               audio_chars: audio.length }));
}

main();
