/**
 * The page's chart script: draws every ChartSpec (html-charts.ts) with uPlot. It reads only the
 * embedded JSON and writes text with textContent, never innerHTML, so names from a snapshot or a
 * phases file cannot inject markup. formatBytes / formatCount / formatDurationMs are the functions
 * of units.ts, embedded by html-page.ts before this script.
 *
 * Ticks are round in the axis unit (0, 5 MiB, 10 MiB; 0 s, 10 s, 20 s) because uPlot is given
 * only round increments to choose from. Phase labels and pause markers are DOM labels laid out in
 * lanes so that they never overlap: a label that fits no lane is left out (the tooltip still
 * names the phase). Each uPlot instance is kept in window.leakcheckCharts[id] for scripting.
 */
export const chartScript = String.raw`
(function(){
var D=JSON.parse(document.getElementById('data').textContent);
var KiB=1024,MiB=KiB*1024,GiB=MiB*1024;
var charts=window.leakcheckCharts={};
function byteIncrs(){var out=[];[1,KiB,MiB,GiB].forEach(function(u){[1,2,5,10,20,50,100,200,500].forEach(function(m){out.push(m*u)})});return out}
function decIncrs(){var out=[];for(var e=0;e<10;e++){[1,2,5].forEach(function(m){out.push(m*Math.pow(10,e))})}return out}
var secIncrs=[0.1,0.2,0.5,1,2,5,10,15,30,60,120,300,600,900,1800,3600,7200,14400];
function byteTick(v,incr){if(v===0)return '0';var u=incr>=GiB?GiB:incr>=MiB?MiB:incr>=KiB?KiB:1;var n=['B','KiB','MiB','GiB'][[1,KiB,MiB,GiB].indexOf(u)];return (v/u).toFixed(0)+' '+n}
function secTick(v,incr){if(incr>=60)return (v/60)+' min';return v.toFixed(incr<1?1:0)+' s'}
function axisFor(kind,spec){
  var a={stroke:'#5d6375',grid:{stroke:'#eceef3',width:1},ticks:{stroke:'#d5d8e0',width:1},font:'11px system-ui,sans-serif',labelFont:'600 12px system-ui,sans-serif'};
  if(kind==='bytes'){a.incrs=byteIncrs();a.values=function(u,vals,ax,space,incr){return vals.map(function(v){return byteTick(v,incr)})};a.size=64}
  else if(kind==='count'){a.incrs=decIncrs();a.values=function(u,vals){return vals.map(function(v){return formatCount(v)})}}
  else if(kind==='seconds'){a.incrs=secIncrs;a.values=function(u,vals,ax,space,incr){return vals.map(function(v){return secTick(v,incr)})}}
  else if(kind==='snapshot'){a.incrs=[1];a.values=function(u,vals){return vals.map(function(v){return spec.x.names[v]||''})}}
  return a;
}
function fmtValue(kind,v){return kind==='bytes'?formatBytes(v):formatCount(v)}
/** Greedy lanes: each label goes in the first lane where it does not touch the one before. */
function layLabels(layer,items,lanes,laneHeight,plotLeft,plotWidth){
  layer.textContent='';var ends=[];for(var i=0;i<lanes;i++)ends.push(-Infinity);
  items.forEach(function(it){
    var el=document.createElement('span');el.className='lane-label '+it.cls;el.textContent=it.text;el.style.position='absolute';el.style.whiteSpace='nowrap';layer.appendChild(el);
    var w=el.offsetWidth,left=Math.max(plotLeft,Math.min(it.x,plotLeft+plotWidth-w));
    for(var lane=0;lane<lanes;lane++){if(left>=ends[lane]+6){ends[lane]=left+w;el.style.left=left+'px';el.style.top=(lane*laneHeight)+'px';return}}
    layer.removeChild(el);
  });
}
function draw(spec){
  var box=document.getElementById(spec.id);if(!box)return;
  var tip=document.createElement('div');tip.className='tip';box.appendChild(tip);
  function rel(u){var o=u.over.getBoundingClientRect(),b=box.getBoundingClientRect();return {left:o.left-b.left,top:o.top-b.top,width:o.width,height:o.height}}
  var top=document.createElement('div');top.className='lanes top';var bottom=document.createElement('div');bottom.className='lanes bottom';
  var series=[{label:spec.x.label}];
  spec.series.forEach(function(s){
    var o={label:s.label,stroke:s.color,width:s.width||1.6,show:s.show!==false,spanGaps:true,value:function(u,v){return v==null?'—':fmtValue(spec.yKind,v)}};
    if(s.dash)o.dash=[6,4];
    if(s.points){o.paths=function(){return null};o.points={show:true,size:7,fill:s.color,stroke:'#fff',width:1}}else o.points={show:spec.x.kind==='snapshot'};
    series.push(o);
  });
  var data=[spec.xs].concat(spec.series.map(function(s){return s.values}));
  function width(){return Math.max(280,box.clientWidth-10)}
  var narrow=box.clientWidth<600;
  var opts={width:width(),height:narrow?240:300,series:series,padding:[spec.bands&&spec.bands.length?40:12,16,0,0],
    scales:{x:{time:false,range:spec.xRange?function(){return spec.xRange}:undefined},y:{range:function(u,min,max){return [0,max>0?max*1.08:1]}}},
    axes:[Object.assign(axisFor(spec.x.kind,spec),{label:spec.x.label}),Object.assign(axisFor(spec.yKind,spec),{label:spec.yLabel})],
    legend:{live:false},cursor:{drag:{x:true,y:false},points:{size:8}},
    hooks:{
      drawClear:[function(u){var c=u.ctx;c.save();(spec.bands||[]).forEach(function(b,i){var x0=u.valToPos(b.from,'x',true),x1=u.valToPos(b.to,'x',true);var l=Math.max(u.bbox.left,Math.min(x0,x1)),r=Math.min(u.bbox.left+u.bbox.width,Math.max(x0,x1));if(r<=l)return;c.fillStyle=b.kind==='warmup'?'#f6f1e2':b.kind==='idle'?'#ecf5ec':(i%2?'#e9eef8':'#f1f4fb');c.fillRect(l,u.bbox.top,r-l,u.bbox.height)});c.restore()}],
      draw:[function(u){var c=u.ctx;c.save();(spec.markers||[]).forEach(function(m){var x=u.valToPos(m.at,'x',true);if(x<u.bbox.left||x>u.bbox.left+u.bbox.width)return;c.strokeStyle=m.tone==='crash'?'#b83224':'#8a90a2';c.lineWidth=m.tone==='crash'?2*devicePixelRatio:devicePixelRatio;c.setLineDash([5*devicePixelRatio,4*devicePixelRatio]);c.beginPath();c.moveTo(x,u.bbox.top);c.lineTo(x,u.bbox.top+u.bbox.height);c.stroke()});c.restore();
        var r=rel(u),left=r.left,wpx=r.width;
        top.style.top=(r.top-38)+'px';
        layLabels(top,(spec.bands||[]).map(function(b){return {x:left+Math.max(0,u.valToPos(b.from,'x')),text:b.label,cls:'phase'}}).filter(function(it){return it.x<left+wpx}),2,17,left,wpx);
        bottom.style.top=(r.top+r.height-18)+'px';
        layLabels(bottom,(spec.markers||[]).map(function(m){return {x:left+u.valToPos(m.at,'x')+3,text:m.label,cls:m.tone}}).filter(function(it){return it.x>=left&&it.x<=left+wpx}),1,17,left,wpx);
      }],
      setCursor:[function(u){var i=u.cursor.idx;if(i==null||u.cursor.left<0){tip.style.display='none';return}
        var lines=[spec.tipTitles?spec.tipTitles[i]:String(spec.xs[i])];
        spec.series.forEach(function(s,k){if(u.series[k+1].show&&s.values[i]!=null)lines.push(s.label+': '+fmtValue(spec.yKind,s.values[i]))});
        if(spec.tipNotes&&spec.tipNotes[i])lines.push(spec.tipNotes[i]);
        tip.textContent=lines.join('\n');tip.style.display='block';
        var r=rel(u),x=r.left+u.cursor.left+14,y=r.top+u.cursor.top+14;
        if(x+tip.offsetWidth>box.clientWidth)x=Math.max(0,r.left+u.cursor.left-tip.offsetWidth-14);
        tip.style.left=x+'px';tip.style.top=y+'px'}]
    }};
  var u=new uPlot(opts,data,box);
  box.appendChild(top);box.appendChild(bottom);
  charts[spec.id]=u;
  u.redraw(false,false);
  var pending=0;window.addEventListener('resize',function(){cancelAnimationFrame(pending);pending=requestAnimationFrame(function(){u.setSize({width:width(),height:box.clientWidth<600?240:300})})});
}
D.charts.forEach(draw);
document.querySelectorAll('button.copy').forEach(function(b){b.addEventListener('click',function(){
  var text=document.getElementById(b.getAttribute('data-copy')).value;
  function done(){b.textContent='copied'}
  if(navigator.clipboard&&navigator.clipboard.writeText)navigator.clipboard.writeText(text).then(done,function(){fallback()});else fallback();
  function fallback(){var t=document.getElementById(b.getAttribute('data-copy'));t.select();try{document.execCommand('copy');done()}catch(e){}}
})});
})();`;
